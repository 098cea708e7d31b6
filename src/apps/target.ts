// Where an app runs. The netns tier runs it on this host inside the VM's namespace; a QEMU VM
// runs it over SSH. The runner (runner.ts) only ever talks to this interface.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Client } from 'ssh2';
import { LabError } from '../errors.js';
import { sshExec, sshRun } from '../guest/ssh.js';
import { isAlive, procRef, signal, spawnDetached, statMatches, type ProcRef } from '../host/process.js';
import { shellQuote } from '../render/shell.js';

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
    start: async (argv, log) => {
      mkdirSync(dirname(log), { recursive: true });
      writeFileSync(log, '');
      return spawnDetached(['ip', 'netns', 'exec', netns, ...argv], log);
    },
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

/** An app in a QEMU VM, over one SSH connection: the same PID discipline as on the host, via the guest's /proc. */
export function sshTarget(conn: Client, vm: string): AppTarget {
  const stat = async (pid: number) => {
    const r = await sshExec(conn, `cat /proc/${pid}/stat 2>/dev/null`, 30_000);
    return r.code === 0 ? r.stdout : undefined;
  };
  const alive = async (ref: ProcRef) => statMatches(await stat(ref.pid), ref);
  return {
    where: `vm ${vm}`,
    start: async (argv, log) => {
      // setsid execs the app in place, so $! is the app's own PID.
      const line = `mkdir -p ${shellQuote(dirname(log))} && : > ${shellQuote(log)} && (setsid ${argv.map(shellQuote).join(' ')} > ${shellQuote(log)} 2>&1 < /dev/null & echo $!)`;
      const pid = Number((await sshRun(conn, `sudo sh -c ${shellQuote(line)}`)).trim());
      const ref = procRef(pid, await stat(pid));
      if (!ref) throw new LabError({ code: 'PROCESS', message: `${argv[0]} exited at once in vm ${vm}`, hint: (await sshExec(conn, `sudo tail -n 12 ${shellQuote(log)}`)).stdout });
      return ref;
    },
    readLog: async (log) => (await sshExec(conn, `sudo cat ${shellQuote(log)} 2>/dev/null`, 30_000)).stdout,
    alive,
    signal: async (ref, sig) => (await alive(ref)) && (await sshExec(conn, `sudo kill -${sig.replace('SIG', '')} ${ref.pid}`, 30_000)).code === 0,
  };
}
