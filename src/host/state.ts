// A lab's state on disk: one JSON file, written atomically, read by every command.
import { existsSync, readFileSync } from 'node:fs';
import type { Accel } from './accel.js';
import type { ReadyEvent } from '../apps/events.js';
import { LabError } from '../errors.js';
import type { LabPaths } from '../layout.js';
import { writeAtomic } from './files.js';
import type { ProcRef } from './process.js';

export interface VmState {
  driver: 'qemu' | 'netns';
  startedAt: string;
  /** netns VMs: the namespace holding the VM's end of each wire. */
  netns?: string;
  qemu?: {
    proc: ProcRef;
    sshPort: number;
    accel: Accel;
    accelReason: string;
    /** Each data-plane NIC as the guest sees it. */
    nics: Array<{ name: string; mac: string; ifname: string; combined: number; maxCombined: number }>;
  };
}

export interface AppState {
  vm: string;
  nic: string;
  program: string;
  proc: ProcRef;
  log: string;
  startedAt: string;
  ready: ReadyEvent;
}

export interface LabState {
  lab: string;
  spec: string;
  netns: string;
  createdAt: string;
  vms: Record<string, VmState>;
  apps: Record<string, AppState>;
}

export function readState(paths: LabPaths): LabState | undefined {
  if (!existsSync(paths.state)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8')) as LabState;
  } catch (err) {
    throw new LabError({ code: 'STATE', message: `cannot read the lab state ${paths.state}: ${(err as Error).message}`, hint: 'Run `lab down` to clean up what the lab left, then `lab up`.' });
  }
}

export function writeState(paths: LabPaths, state: LabState): void {
  writeAtomic(paths.state, `${JSON.stringify(state, null, 2)}\n`);
}
