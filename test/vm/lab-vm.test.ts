// A whole QEMU lab under TCG from the offline image: up, SSH with the pinned key, cloud-init done,
// the guest sees the multiqueue NIC, up is idempotent, a crash is seen, down leaves nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netnsExists } from '../../src/host/netns.js';
import { isAlive, type ProcRef } from '../../src/host/process.js';
import { lab, labAsync, ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-vm-'));
const name = `vm${process.pid % 100000}`;
const file = join(work, 'lab.yaml');
writeFileSync(file, readFileSync(join(ROOT, 'lab.yaml'), 'utf8').replace(/^name: .*/m, `name: ${name}`));

afterAll(() => {
  lab(['down', '-f', file, '--purge']);
  rmSync(work, { recursive: true, force: true });
});

const json = <T>(out: string) => JSON.parse(out) as T;
const UP_TIMEOUT = 1_500_000;

describe('a QEMU lab under TCG', () => {
  let qemu: ProcRef;

  it('comes up: SSH with the pinned key, cloud-init done, the guest sees 2 combined channels', async () => {
    const up = await labAsync(['up', '-f', file, '--json'], ROOT, UP_TIMEOUT);
    expect(up.status, up.stderr).toBe(0);
    const r = json<{ alreadyUp: boolean; vms: Array<{ accel: string; sshPort: number; nics: Array<{ guestQueues: number; queues: number }> }> }>(up.stdout);
    expect(r.alreadyUp).toBe(false);
    expect(r.vms[0]!.accel).toBe('tcg');
    expect(r.vms[0]!.nics[0]).toMatchObject({ queues: 2, guestQueues: 2 });
    const status = json<{ vms: Array<{ state: string; pid: number }> }>(lab(['status', '-f', file, '--json']).stdout);
    expect(status.vms[0]!.state).toBe('running');
    qemu = json<{ vms: Record<string, { qemu: { proc: ProcRef } }> }>(readFileSync(join(work, '.lab', name, 'state.json'), 'utf8')).vms.dut!.qemu.proc;
  }, UP_TIMEOUT);

  it('lab ssh runs a command with the pinned key and passes its exit code through', async () => {
    const ok = await labAsync(['ssh', 'dut', '-f', file, '--', 'cloud-init', 'status']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('status: done');
    const built = await labAsync(['ssh', 'dut', '-f', file, '--', 'ls', '/opt/lab/native/build']);
    expect(built.stdout).toContain('l2_multi_echo');
    expect((await labAsync(['ssh', 'dut', '-f', file, '--', 'exit', '7'])).status).toBe(7);
  }, 120_000);

  it('a second up changes nothing and says so', async () => {
    const again = await labAsync(['up', '-f', file, '--json']);
    expect(again.status, again.stderr).toBe(0);
    expect(json<{ alreadyUp: boolean }>(again.stdout).alreadyUp).toBe(true);
    expect(isAlive(qemu)).toBe(true);
  }, 120_000);

  it('lab logs shows the serial console', () => {
    const logs = lab(['logs', 'dut', 'serial', '-f', file]);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toMatch(/Linux version|cloud-init/);
  });

  it('after kill -9 of QEMU, status says crashed and down cleans up everything', async () => {
    process.kill(qemu.pid, 'SIGKILL');
    const status = json<{ vms: Array<{ state: string }> }>(lab(['status', '-f', file, '--json']).stdout);
    expect(status.vms[0]!.state).toBe('crashed');
    const down = await labAsync(['down', '-f', file]);
    expect(down.status, down.stderr).toBe(0);
    expect(netnsExists(`lab-${name}`)).toBe(false);
    expect(isAlive(qemu)).toBe(false);
  }, 120_000);
});
