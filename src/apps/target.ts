// Where an app runs. The netns tier runs it on this host inside the VM's namespace; a QEMU VM
// runs it over SSH. The runner (runner.ts) only ever talks to this interface.
import { readFileSync } from 'node:fs';
import { isAlive, signal, spawnDetached, type ProcRef } from '../host/process.js';

export interface AppTarget {
  readonly where: string;
  start(argv: string[], log: string): Promise<ProcRef>;
  readLog(log: string): Promise<string>;
  alive(ref: ProcRef): Promise<boolean>;
  signal(ref: ProcRef, sig: NodeJS.Signals): Promise<boolean>;
}

export function netnsTarget(netns: string): AppTarget {
  return {
    where: `namespace ${netns}`,
    // `ip netns exec` execs the program, so the PID started is the app's own.
    start: async (argv, log) => spawnDetached(['ip', 'netns', 'exec', netns, ...argv], log),
    readLog: async (log) => {
      try {
        return readFileSync(log, 'utf8');
      } catch {
        return '';
      }
    },
    alive: async (ref) => isAlive(ref),
    signal: async (ref, sig) => signal(ref, sig),
  };
}
