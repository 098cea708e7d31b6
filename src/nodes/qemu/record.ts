// What the state keeps of a QEMU node: its process, how to reach it, and its NICs as the guest sees them.
import type { ProcRef } from '../../host/process.js';
import type { Accel } from '../../render/qemu.js';
import type { LabState, NodeRecord } from '../../state/store.js';

export interface GuestNic {
  name: string;
  mac: string;
  ifname: string;
  combined: number;
  maxCombined: number;
}

export interface QemuRecord extends NodeRecord {
  qemu: {
    proc: ProcRef;
    sshPort: number;
    accel: Accel;
    accelReason: string;
    nics: GuestNic[];
  };
}

/** The QEMU part of a node's record; only this driver writes it. */
export function qemuOf(record: NodeRecord | undefined): QemuRecord['qemu'] | undefined {
  return (record as QemuRecord | undefined)?.qemu;
}

/** The first port QEMU forwards SSH from, on 127.0.0.1 of the lab namespace (no other lab listens there). */
export const FIRST_SSH_PORT = 2222;

/**
 * A VM keeps the SSH port its record has; a new one gets the lowest port that no other VM of the
 * lab holds, in the state or earlier in this command (`assigned`). Pure, so re-rendering a lab is stable.
 */
export function sshPortFor(node: string, state: LabState | undefined, assigned: ReadonlyMap<string, number>): number {
  const own = qemuOf(state?.nodes[node])?.sshPort ?? assigned.get(node);
  if (own !== undefined) return own;
  const taken = new Set<number>();
  for (const [name, record] of Object.entries(state?.nodes ?? {})) {
    const port = qemuOf(record)?.sshPort;
    if (name !== node && port !== undefined) taken.add(port);
  }
  for (const [name, port] of assigned) if (name !== node) taken.add(port);
  let port = FIRST_SSH_PORT;
  while (taken.has(port)) port++;
  return port;
}
