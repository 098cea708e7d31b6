// A whole QEMU lab under TCG from the offline image: up, SSH with the pinned key, cloud-init done,
// the guest sees the multiqueue NIC, up is idempotent, both apps run and verify in the guest, a
// crash is seen, down leaves nothing, lab test does it all, and Ctrl-C during up or a failed
// provisioning undoes it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeAccel } from '../../src/host/accel.js';
import { netnsExists } from '../../src/host/netns.js';
import { imageCacheRoot, imagePlan } from '../../src/image/recipe.js';
import { loadLab } from '../../src/config/load.js';
import { isAlive, procRef, waitUntil, type ProcRef } from '../../src/host/process.js';
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
    expect(up.status, up.stdout + up.stderr).toBe(0);
    const r = json<{ alreadyUp: boolean; vms: Array<{ accel: string; accelReason: string; sshPort: number; nics: Array<{ guestQueues: number; queues: number }> }> }>(up.stdout);
    expect(r.alreadyUp).toBe(false);
    // The choice rests on the guest's own kernel booting under KVM, not on firmware alone.
    expect(r.vms[0]!.accelReason).toMatch(r.vms[0]!.accel === 'kvm' ? /^KVM works: the guest kernel boots/ : /^KVM unusable: (the guest kernel|\/dev\/kvm)/);
    expect(r.vms[0]!.nics[0]).toMatchObject({ queues: 2, guestQueues: 2 });
    const status = json<{ vms: Array<{ state: string; pid: number }> }>(lab(['status', '-f', file, '--json']).stdout);
    expect(status.vms[0]!.state).toBe('running');
    qemu = json<{ vms: Record<string, { qemu: { proc: ProcRef } }> }>(readFileSync(join(work, '.lab', name, 'state.json'), 'utf8')).vms.dut!.qemu.proc;
  }, UP_TIMEOUT);

  it('the accelerator probe boots the guest kernel to its root mount under TCG', async () => {
    const kernel = imagePlan(loadLab(file), imageCacheRoot()).kernel!;
    const tcg = await probeAccel('tcg', { cpu: 'max', kernel });
    expect(tcg).toMatchObject({ works: true, depth: 'kernel', detail: 'the guest kernel boots to its root mount' });
    const cut = await probeAccel('tcg', { cpu: 'max', kernel, timeoutMs: 200 });
    expect(cut.works, 'a boot cut short is a failure, so the probe can fail').toBe(false);
  }, 120_000);

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
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(json<{ alreadyUp: boolean }>(again.stdout).alreadyUp).toBe(true);
    expect(isAlive(qemu)).toBe(true);
  }, 120_000);

  it('lab run l2_echo binds the NIC behind the virtual IOMMU, and lab verify passes every check', async () => {
    const run = await labAsync(['run', 'l2_echo', '--detach', '-f', file, '--json'], ROOT, 300_000);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const r = json<{ pci: string; ready: { driver: string; queues: number } }>(run.stdout);
    expect(r.ready).toMatchObject({ driver: 'net_virtio', queues: 1 });
    expect(r.pci).toMatch(/^0000:00:0[0-9a-f]\.0$/);
    const bound = await labAsync(['ssh', 'dut', '-f', file, '--', 'readlink', `/sys/bus/pci/devices/${r.pci}/driver`]);
    expect(bound.stdout.trim()).toMatch(/vfio-pci$/);

    const junit = join(work, 'echo.xml');
    const v = await labAsync(['verify', 'l2_echo', '-f', file, '--json', '--junit', junit], ROOT, 300_000);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    const checks = json<{ checks: Array<{ check: string; status: string }> }>(v.stdout).checks;
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ['kernel_bypass', 'passed'], ['echo', 'passed'], ['rss', 'skipped'], ['latency', 'passed'], ['control', 'passed'],
    ]);
    expect(readFileSync(junit, 'utf8')).toContain('failures="0"');
  }, 600_000);

  it('l2_multi_echo gets traffic on both queues of the virtio NIC', async () => {
    const run = await labAsync(['run', 'l2_multi_echo', '--detach', '-f', file, '--json'], ROOT, 300_000);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(json<{ ready: { queues: number; lcores: number[] } }>(run.stdout).ready).toMatchObject({ queues: 2, lcores: [1, 2] });
    const status = await labAsync(['status', '-f', file, '--json']);
    expect(json<{ apps: Array<{ app: string; state: string }> }>(status.stdout).apps, 'its PID is looked up in the guest').toEqual([
      expect.objectContaining({ app: 'l2_multi_echo', state: 'running' }),
    ]);
    const v = await labAsync(['verify', 'l2_multi_echo', '-f', file, '--json'], ROOT, 300_000);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    const rss = json<{ checks: Array<{ check: string; status: string; data: Array<{ rx: number }> }> }>(v.stdout).checks.find((c) => c.check === 'rss')!;
    expect(rss.status).toBe('passed');
    expect(rss.data.every((q) => q.rx > 0)).toBe(true);
  }, 600_000);

  it('the multiqueue pitfall: validation explains it; past --force the guest app says mq=on itself', async () => {
    const refused = await labAsync(['run', 'l2_multi_echo', '--detach', '--lcores', '0-2', '-f', file]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('needs 3 queues');
    const forced = await labAsync(['run', 'l2_multi_echo', '--detach', '--lcores', '0-2', '--force', '-f', file], ROOT, 300_000);
    expect(forced.status).toBe(3);
    expect(forced.stderr).toContain('the app exited before it was ready');
    expect(forced.stderr).toContain('mq=on');
    const addr = await labAsync(['ssh', 'dut', '-f', file, '--', 'ip', '-4', 'addr']);
    expect(addr.stdout, 'the NIC is back with the kernel, with its address').toContain('10.10.0.2/24');
  }, 600_000);

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

describe('lab test, the README\'s main command', () => {
  it('runs up, then run, verify and stop for each app, then down, and reports every check', async () => {
    const junit = join(work, 'test.xml');
    const t = await labAsync(['test', '-f', file, '--json', '--junit', junit], ROOT, UP_TIMEOUT);
    expect(t.status, t.stdout + t.stderr).toBe(0);
    const report = json<{ counts: { passed: number; failed: number; skipped: number } }>(t.stdout);
    expect(report.counts).toEqual({ passed: 9, failed: 0, skipped: 1 });
    expect(readFileSync(junit, 'utf8')).toContain('tests="10" failures="0" skipped="1"');
    expect(netnsExists(`lab-${name}`)).toBe(false);
  }, UP_TIMEOUT);
});

describe('Ctrl-C during lab up', () => {
  it('undoes what the run made: no QEMU, no namespace, no state', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/lab.js'), 'up', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const pidFile = join(work, '.lab', name, 'vms', 'dut', 'qemu.pid');
    expect(await waitUntil(() => stderr.includes('wait for SSH') && existsSync(pidFile), 300_000), stderr).toBe(true);
    const ref = procRef(Number(readFileSync(pidFile, 'utf8')));
    expect(ref, 'QEMU runs').toBeDefined();
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('interrupted');
    expect(isAlive(ref!), 'QEMU was stopped').toBe(false);
    expect(netnsExists(`lab-${name}`)).toBe(false);
    expect(existsSync(join(work, '.lab', name, 'state.json'))).toBe(false);
    expect(existsSync(join(work, '.lab', name, 'vms', 'dut', 'disk.qcow2')), 'the overlay is gone').toBe(false);
    expect(json<{ vms: Array<{ state: string }> }>(lab(['status', '-f', file, '--json']).stdout).vms[0]!.state).toBe('stopped');
  }, 360_000);
});

describe('a lab up killed outright (SIGKILL: no undo can run)', () => {
  it('leaves a half-made lab that status calls broken and down clears: QEMU, namespace, taps', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/lab.js'), 'up', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    const pidFile = join(work, '.lab', name, 'vms', 'dut', 'qemu.pid');
    expect(await waitUntil(() => stderr.includes('wait for SSH') && existsSync(pidFile), 300_000), stderr).toBe(true);
    const ref = procRef(Number(readFileSync(pidFile, 'utf8')))!;
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const status = json<{ vms: Array<{ state: string; pid?: number }> }>(lab(['status', '-f', file, '--json']).stdout);
    expect(status.vms[0]).toMatchObject({ state: 'broken', pid: ref.pid });
    const down = await labAsync(['down', '-f', file]);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain(`QEMU of dut (pid ${ref.pid}`);
    expect(isAlive(ref), 'QEMU was stopped').toBe(false);
    expect(netnsExists(`lab-${name}`)).toBe(false);
    expect(json<{ vms: Array<{ state: string }> }>(lab(['status', '-f', file, '--json']).stdout).vms[0]!.state).toBe('stopped');
  }, 360_000);
});

describe('a guest whose provisioning fails', () => {
  // dpdk.source release, fetched from an address the guest cannot reach: the offline release
  // image is built (and cached) like any other, and cloud-init fails at the download.
  const relName = `rl${process.pid % 100000}`;
  const relFile = join(work, 'release.yaml');
  writeFileSync(relFile, readFileSync(file, 'utf8').replace(/^name: .*/m, `name: ${relName}`).replace(/^dpdk:\n(  .*\n)+/m, [
    'dpdk:',
    '  source: release',
    '  version: "24.07"',
    `  sha256: "${'0'.repeat(64)}"`,
    '  url: http://10.0.2.2:1/dpdk-24.07.tar.xz',
    '',
  ].join('\n')));
  afterAll(() => void lab(['down', '-f', relFile, '--purge']));

  it('makes lab up fail with cloud-init\'s own log, ending at the first error, and leaves nothing running', async () => {
    const up = await labAsync(['up', '-f', relFile], ROOT, UP_TIMEOUT);
    expect(up.status, up.stderr).toBe(3);
    expect(up.stderr).toContain('error: cloud-init failed in the guest (status: error)');
    expect(up.stderr).toContain('--- /var/log/cloud-init-output.log ---');
    expect(up.stderr).toMatch(/curl: \(7\) Failed to connect to 10\.0\.2\.2 port 1/);
    expect(up.stderr, 'the apps are not built on a guest without DPDK').not.toContain('make: Entering directory');
    expect(netnsExists(`lab-${relName}`)).toBe(false);
    expect(processesNaming(join(work, '.lab', relName))).toEqual([]);
    expect(json<{ vms: Array<{ state: string }> }>(lab(['status', '-f', relFile, '--json']).stdout).vms[0]!.state).toBe('stopped');
  }, UP_TIMEOUT);
});

/** PIDs of processes whose command line names files under `dir`: only this test's labs. */
function processesNaming(dir: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
    } catch {
      return false;
    }
  }).map(Number);
}
