// Which SSH port a QEMU node's forward gets: the one it has, else the lowest no other node holds.
import { describe, expect, it } from 'vitest';
import { FIRST_SSH_PORT, sshPortFor, type QemuRecord } from '../../src/nodes/qemu/record.js';
import type { LabState, NodeRecord } from '../../src/state/store.js';

const qemu = (sshPort: number): QemuRecord => ({
  kind: 'qemu',
  startedAt: '2026-01-01T00:00:00Z',
  qemu: { proc: { pid: 1, startTime: '1' }, sshPort, accel: 'tcg', accelReason: 'test', nics: [] },
});
const state = (nodes: Record<string, NodeRecord>): LabState => ({
  lab: 't',
  spec: 't.yaml',
  netns: 'lab-t',
  createdAt: '',
  nodes,
  apps: {},
});

describe('sshPortFor', () => {
  it('keeps the port a node was given: a restarted or re-rendered VM is reached where it was', () => {
    expect(sshPortFor('a', state({ a: qemu(2300) }), new Map())).toBe(2300);
  });

  it('gives a new node the lowest port no other node holds, in the state or earlier in this command', () => {
    expect(sshPortFor('a', undefined, new Map())).toBe(FIRST_SSH_PORT);
    expect(sshPortFor('b', state({ a: qemu(2222) }), new Map())).toBe(2223);
    expect(sshPortFor('c', state({ a: qemu(2222) }), new Map([['b', 2223]]))).toBe(2224);
    expect(sshPortFor('b', state({ a: qemu(2223) }), new Map())).toBe(2222);
  });

  it('ignores nodes of other kinds, which have no SSH forward', () => {
    expect(sshPortFor('b', state({ n: { kind: 'netns', startedAt: '' } }), new Map())).toBe(FIRST_SSH_PORT);
  });
});
