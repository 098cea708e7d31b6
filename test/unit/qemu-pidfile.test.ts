// A half-made lab's QEMU is found through its pidfile, and only if the process is really that QEMU.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qemuPidFile } from '../../src/nodes/qemu/boot.js';
import { nodePaths } from '../../src/layout.js';

const work = mkdtempSync(join(tmpdir(), 'lab-pidfile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const paths = nodePaths(work, 'dut');

describe('qemuPidFile', () => {
  it('refuses a PID whose process does not name the pidfile: a stale file may point at anything', () => {
    writeFileSync(join(work, 'stale.pid'), `${process.pid}\n`);
    expect(qemuPidFile({ ...paths, pid: join(work, 'stale.pid') })).toBeUndefined();
  });

  it('accepts the process whose command line names the pidfile, as QEMU -pidfile does', async () => {
    const pidFile = join(work, 'qemu.pid');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '--', '-pidfile', pidFile], {
      stdio: 'ignore',
    });
    try {
      writeFileSync(pidFile, `${child.pid}\n`);
      expect(qemuPidFile({ ...paths, pid: pidFile })).toMatchObject({ pid: child.pid });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('finds nothing without a pidfile or a process', () => {
    expect(qemuPidFile({ ...paths, pid: join(work, 'none.pid') })).toBeUndefined();
    writeFileSync(join(work, 'gone.pid'), '999999999\n');
    expect(qemuPidFile({ ...paths, pid: join(work, 'gone.pid') })).toBeUndefined();
  });
});
