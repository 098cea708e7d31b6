// A whole QEMU lab under TCG (or KVM where it really works) from the offline image: up, SSH with the
// pinned key, cloud-init done, the guest sees the multiqueue NIC, up is idempotent, both apps run and
// verify in the guest, a second VM joins a running lab without touching the first, a crash is seen,
// down leaves nothing, lab test does it all, and Ctrl-C during up undoes it.
//
// Each describe sets up the lab state it needs, so one failure does not fail the tests after it.
// Each distinct VM boots cold once: lab.yaml's DUT in the first describe, examples/two-vm.yaml's
// tester when it joins; every later up restores the provisioned snapshot (a test that must boot cold
// puts the snapshot back after it). Ctrl-C and SIGKILL during up stop cold boots of labs of their own.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { probeAccel } from '../../src/nodes/qemu/accel.js';
import { qemuProfiles } from '../../src/nodes/qemu/files.js';
import { netnsExists } from '../../src/host/netns.js';
import { isAlive, procRef, type ProcRef } from '../../src/host/process.js';
import { waitFor } from '../../src/host/wait.js';
import { imagePlan } from '../../src/image/recipe.js';
import type { BenchResult } from '../../src/core/bench-apps.js';
import { loadLab } from '../../src/core/load.js';
import { imageCacheRoot, labPaths, nodePaths } from '../../src/layout.js';
import { lab, labAsync, ROOT, type CliResult } from '../helpers/lab.js';
import { expectConsistentSearch } from '../helpers/search.js';

const work = mkdtempSync(join(tmpdir(), 'lab-node-'));
const name = `node${process.pid % 100000}`;
const file = join(work, 'lab.yaml');
writeFileSync(file, readFileSync(join(ROOT, 'lab.yaml'), 'utf8').replace(/^name: .*/m, `name: ${name}`));
const stateDir = join(work, '.lab', name);

afterAll(() => {
  lab(['down', '-f', file, '--purge']);
  rmSync(work, { recursive: true, force: true });
});

const json = <T>(out: string) => JSON.parse(out) as T;
const UP_TIMEOUT = 1_500_000;

interface State {
  nodes: Record<string, { qemu?: { proc: ProcRef; sshPort: number } }>;
  apps: Record<string, unknown>;
}
const state = (): State => json<State>(readFileSync(join(stateDir, 'state.json'), 'utf8'));

/** lab up, or a clear error that names why: every test of a describe that needs the lab shares it. */
async function upOrFail(spec = file): Promise<CliResult> {
  const up = await labAsync(['up', '-f', spec, '--json'], ROOT, UP_TIMEOUT);
  if (up.status !== 0)
    throw new Error(
      `lab up -f ${spec} failed with exit ${up.status}; the tests here need a running lab:\n${up.stdout}\n${up.stderr}`,
    );
  return up;
}

/** Leaves no app running behind a test, whatever it did. */
async function stopApps(): Promise<void> {
  if (!existsSync(join(stateDir, 'state.json'))) return;
  for (const app of Object.keys(state().apps)) await labAsync(['stop', app, '-f', file], ROOT, 120_000);
}

describe('a QEMU lab', () => {
  let up: CliResult;
  beforeAll(async () => {
    up = await upOrFail();
  }, UP_TIMEOUT);
  afterEach(stopApps, 300_000);

  it('comes up: SSH with the pinned key, cloud-init done, the guest sees 2 combined channels', () => {
    const r = json<{
      alreadyUp: boolean;
      nodes: Array<{
        accel: string;
        accelReason: string;
        sshPort: number;
        nics: Array<{ guestQueues: number; queues: number }>;
      }>;
    }>(up.stdout);
    expect(r.alreadyUp).toBe(false);
    // lab promises a choice and a reason, never one machine's way of failing KVM.
    const node = r.nodes[0]!;
    expect(node.accelReason).toMatch(
      node.accel === 'kvm' ? /^KVM works: the guest kernel boots/ : /^KVM unusable: .+; falling back to TCG$/,
    );
    expect(node.nics[0]).toMatchObject({ queues: 2, guestQueues: 2 });
    const status = json<{ nodes: Array<{ state: string; pid: number }> }>(lab(['status', '-f', file, '--json']).stdout);
    expect(status.nodes[0]!.state).toBe('running');
  });

  it("QEMU runs as the dedicated user, not root, confined by seccomp; its secrets are the owner's alone", () => {
    const status = json<{ nodes: Array<{ pid: number }> }>(lab(['status', '-f', file, '--json']).stdout);
    const pid = status.nodes[0]!.pid;
    const ps = spawnSync('ps', ['-o', 'user=', '-C', 'qemu-system-x86_64'], { encoding: 'utf8' });
    expect(ps.stdout.trim().split('\n')).toContain('lab-qemu');
    expect(spawnSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim()).toBe('lab-qemu');
    const proc = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(proc).toMatch(/^Seccomp:\s+2$/m);
    expect(proc).toMatch(/^CapEff:\s+0+$/m);
    const vp = nodePaths(labPaths(loadLab(file)).root, 'dut');
    for (const secret of [vp.seed, vp.disk]) expect(statSync(secret).mode & 0o777, secret).toBe(0o600);
    expect(statSync(labPaths(loadLab(file)).root).mode & 0o777).toBe(0o700);
  });

  it('the accelerator probe boots the guest kernel to its root mount under TCG, and a cut-short boot fails', async () => {
    const kernel = imagePlan(loadLab(file), imageCacheRoot()).kernel!;
    const tcg = await probeAccel('tcg', qemuProfiles('x86_64'), { kernel });
    expect(tcg).toMatchObject({ works: true, depth: 'kernel', detail: 'the guest kernel boots to its root mount' });
    const cut = await probeAccel('tcg', qemuProfiles('x86_64'), { kernel, timeoutMs: 200 });
    expect(cut.works).toBe(false);
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
    const before = state().nodes.dut!.qemu!.proc;
    const again = await labAsync(['up', '-f', file, '--json']);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(json<{ alreadyUp: boolean }>(again.stdout).alreadyUp).toBe(true);
    expect(isAlive(before)).toBe(true);
  }, 120_000);

  it('lab run l2_echo binds the NIC behind the virtual IOMMU, lab logs shows the app, lab verify passes every check', async () => {
    const run = await labAsync(['run', 'l2_echo', '--detach', '-f', file, '--json'], ROOT, 300_000);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const r = json<{ pci: string; ready: { driver: string; queues: number } }>(run.stdout);
    expect(r.ready).toMatchObject({ driver: 'net_virtio', queues: 1 });
    expect(r.pci, 'a PCI address, wherever QEMU put the NIC').toMatch(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
    const bound = await labAsync(['ssh', 'dut', '-f', file, '--', 'readlink', `/sys/bus/pci/devices/${r.pci}/driver`]);
    expect(bound.stdout.trim()).toMatch(/vfio-pci$/);
    const log = await labAsync(['logs', 'dut', 'l2_echo', '-f', file]);
    expect(log.status, log.stderr).toBe(0);
    expect(log.stdout, "the app's log, read in the guest").toContain('{"event":"ready"');

    const junit = join(work, 'echo.xml');
    const v = await labAsync(['verify', 'l2_echo', '--control', '-f', file, '--json', '--junit', junit], ROOT, 300_000);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    const checks = json<{ checks: Array<{ check: string; status: string }> }>(v.stdout).checks;
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ['kernel_bypass', 'passed'],
      ['echo', 'passed'],
      ['rss', 'skipped'],
      ['latency', 'passed'],
      ['control', 'passed'],
    ]);
    expect(readFileSync(junit, 'utf8')).toContain('failures="0"');
  }, 600_000);

  it('l2_multi_echo gets traffic on both queues of the virtio NIC', async () => {
    const run = await labAsync(['run', 'l2_multi_echo', '--detach', '-f', file, '--json'], ROOT, 300_000);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(json<{ ready: { queues: number; lcores: number[] } }>(run.stdout).ready).toMatchObject({
      queues: 2,
      lcores: [1, 2],
    });
    const status = await labAsync(['status', '-f', file, '--json']);
    expect(
      json<{ apps: Array<{ app: string; state: string }> }>(status.stdout).apps,
      'its PID is looked up in the guest',
    ).toEqual([expect.objectContaining({ app: 'l2_multi_echo', state: 'running' })]);
    // The zero-loss search through the tap and virtio-net into the guest: figures are small under TCG.
    const b = await labAsync(
      ['bench', 'l2_multi_echo', '-f', file, '--json', '--sizes', '64,1518', '--trial', '0.5'],
      ROOT,
      300_000,
    );
    expect(b.status, b.stderr).toBe(0);
    const rows = json<BenchResult>(b.stdout).apps[0]!.rows;
    expect(rows.map((x) => x.frame_size)).toEqual([64, 1518]);
    for (const row of rows) expectConsistentSearch(row.rate_pps, row.trials);
    console.log(
      `lab bench in the QEMU lab: ${rows.map((x) => `${x.frame_size} B ${x.rate_pps} pps (limited by ${x.limited_by})`).join(', ')}`,
    );

    const evidence = join(work, 'evidence');
    const html = join(work, 'node-report.html');
    const v = await labAsync(
      ['verify', 'l2_multi_echo', '--control', '-f', file, '--json', '--evidence', evidence, '--html', html],
      ROOT,
      300_000,
    );
    expect(v.status, v.stdout + v.stderr).toBe(0);
    const rss = json<{ checks: Array<{ check: string; status: string; data: Array<{ rx: number }> }> }>(
      v.stdout,
    ).checks.find((c) => c.check === 'rss')!;
    expect(rss.status).toBe('passed');
    expect(rss.data.every((q) => q.rx > 0)).toBe(true);
    // What a VM adds to the evidence: its console, cloud-init's output, its kernel's messages, its QEMU command line.
    const manifest = json<{ items: Array<{ path: string; missing?: string }> }>(
      readFileSync(join(evidence, 'manifest.json'), 'utf8'),
    );
    expect(manifest.items.filter((i) => i.missing)).toEqual([]);
    expect(manifest.items.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        'apps/l2_multi_echo/verify.pcap',
        'apps/l2_multi_echo/app.log',
        'nodes/dut/serial.log',
        'nodes/dut/cloud-init-output.log',
        'nodes/dut/dmesg.log',
        'nodes/dut/qemu.sh',
      ]),
    );
    expect(readFileSync(join(evidence, 'nodes/dut/dmesg.log'), 'utf8')).toMatch(/virtio|Linux version/);
    expect(readFileSync(join(evidence, 'nodes/dut/qemu.sh'), 'utf8')).toContain('mq=on');
    const frames = spawnSync('tcpdump', ['-r', join(evidence, 'apps/l2_multi_echo/verify.pcap'), '-n', 'udp'], {
      encoding: 'utf8',
    });
    expect(frames.status, frames.stderr).toBe(0);
    expect(
      frames.stdout.trim().split('\n').length,
      'the probe frames through the tap, both ways',
    ).toBeGreaterThanOrEqual(4000);
    expect(readFileSync(html, 'utf8')).toContain('<svg class="chart rtt-histogram" data-app="l2_multi_echo"');
  }, 600_000);

  it('the multiqueue pitfall: validation explains it; past --force the guest app says mq=on itself', async () => {
    const refused = await labAsync(['run', 'l2_multi_echo', '--detach', '--lcores', '0-2', '-f', file]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('needs 3 queues');
    const forced = await labAsync(
      ['run', 'l2_multi_echo', '--detach', '--lcores', '0-2', '--force', '-f', file],
      ROOT,
      300_000,
    );
    expect(forced.status).toBe(3);
    expect(forced.stderr).toContain('the app exited before it was ready');
    expect(forced.stderr).toContain('mq=on');
    const addr = await labAsync(['ssh', 'dut', '-f', file, '--', 'ip', '-4', 'addr']);
    expect(addr.stdout, 'the NIC is back with the kernel, with its address').toContain('10.10.0.2/24');
  }, 600_000);

  it('your own app from its sources: sent over SFTP, built in the guest against its DPDK, ready by telemetry, verified; not built again', async () => {
    cpSync(join(ROOT, 'examples/your-app'), join(work, 'your-app'), { recursive: true });
    // Sources of this run's own: the guest may keep an earlier run's build of the example.
    const source = join(work, 'your-app', 'macswap.c');
    writeFileSync(source, `${readFileSync(source, 'utf8')}/* run ${process.pid} ${Date.now()} */\n`);
    const withApp = join(work, 'your-app.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.setIn(['apps', 'macswap'], {
      program: 'custom',
      build: { source: 'your-app', system: 'make', binary: 'build/macswap' },
      node: 'dut',
      nic: 'dp0',
      lcores: '1',
    });
    writeFileSync(withApp, doc.toString());
    const run = await labAsync(['run', 'macswap', '--detach', '-f', withApp, '--json'], ROOT, 600_000);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const r = json<{ argv: string[]; build: { key: string; built: boolean }; ready: { queues: number } }>(run.stdout);
    expect(r.build.built).toBe(true);
    expect(r.argv[0]).toBe(`/opt/lab/apps/macswap-${r.build.key}/build/macswap`);
    expect(r.ready.queues).toBe(1);
    const v = await labAsync(['verify', 'macswap', '-f', withApp, '--json'], ROOT, 300_000);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect((await labAsync(['stop', 'macswap', '-f', withApp])).status).toBe(0);
    const again = await labAsync(['run', 'macswap', '--detach', '-f', withApp, '--json'], ROOT, 300_000);
    expect(again.status, again.stderr).toBe(0);
    expect(json<{ build: { built: boolean } }>(again.stdout).build.built, 'the same sources: not built again').toBe(
      false,
    );
    expect((await labAsync(['stop', 'macswap', '-f', withApp])).status).toBe(0);
  }, 900_000);

  it('lab logs shows the serial console', () => {
    const logs = lab(['logs', 'dut', 'serial', '-f', file]);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toMatch(/Linux version|cloud-init/);
  });
});

describe('the provisioned snapshot', () => {
  const vmDir = join(stateDir, 'nodes', 'dut');
  afterEach(stopApps, 300_000);

  /**
   * The VM's folder, snapshot and all, kept aside while a test makes it boot cold, and put back
   * after: every later test of the file restores the VM instead of booting it again.
   */
  function keepSnapshot(): { restore(): void } {
    const kept = join(work, 'kept');
    rmSync(kept, { recursive: true, force: true });
    cpSync(vmDir, kept, { recursive: true });
    return {
      restore() {
        rmSync(vmDir, { recursive: true, force: true });
        cpSync(kept, vmDir, { recursive: true });
        rmSync(kept, { recursive: true, force: true });
      },
    };
  }

  /** Starts lab up on a spec and ends it with Ctrl-C once `line` is on its progress. */
  async function upUntil(spec: string, line: string): Promise<string> {
    const child = spawn(process.execPath, [join(ROOT, 'bin/lab.js'), 'up', '-f', spec], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const seen = await waitFor(() => stderr.includes(line) || child.exitCode !== null, { timeoutMs: 300_000 });
    child.kill('SIGINT');
    await exited;
    expect(seen && stderr.includes(line), stderr).toBe(true);
    return stderr;
  }

  it(
    'a later lab up restores it instead of booting: same SSH port, clock set, run and verify work at once',
    async () => {
      await upOrFail();
      expect(existsSync(join(vmDir, 'snapshot.json')), 'the first up saved it').toBe(true);
      const port = state().nodes.dut!.qemu!.sshPort;
      expect((await labAsync(['down', '-f', file])).status).toBe(0);
      expect(existsSync(join(vmDir, 'snapshot.json')), 'lab down keeps it').toBe(true);
      const listed = json<{ snapshots: Array<{ node: string; bytes: number; runningPid?: number }> }>(
        lab(['images', '-f', file, '--json']).stdout,
      ).snapshots;
      expect(listed).toEqual([expect.objectContaining({ node: 'dut' })]);
      expect(listed[0]!.runningPid, 'no QEMU has it open after down').toBeUndefined();
      const t0 = Date.now();
      const warm = await upOrFail();
      const ms = Date.now() - t0;
      expect(warm.stderr).toContain('dut: start QEMU from the provisioned snapshot (-loadvm)');
      expect(warm.stderr, 'nothing is provisioned again').not.toContain('wait for cloud-init');
      expect(state().nodes.dut!.qemu!.sshPort).toBe(port);
      const clock = await labAsync(['ssh', 'dut', '-f', file, '--', 'date', '+%s']);
      // lab sets the restored guest's clock to the host's; 10 s is the SSH round trips under TCG, against
      // the minutes since the snapshot was saved.
      expect(
        Math.abs(Number(clock.stdout.trim()) - Date.now() / 1000),
        "the guest clock is now, not the snapshot's",
      ).toBeLessThan(10);
      expect((await labAsync(['run', 'l2_multi_echo', '--detach', '-f', file], ROOT, 300_000)).status).toBe(0);
      const v = await labAsync(['verify', 'l2_multi_echo', '--control', '-f', file, '--json'], ROOT, 300_000);
      expect(v.status, v.stdout + v.stderr).toBe(0);
      console.log(`warm lab up (restored from the provisioned snapshot): ${(ms / 1000).toFixed(1)} s`);
    },
    UP_TIMEOUT,
  );

  it('lab reset stops every app and restarts the VM from its provisioned snapshot, the NIC back with its kernel driver', async () => {
    await upOrFail();
    const qemu = state().nodes.dut!.qemu!.proc;
    expect((await labAsync(['run', 'l2_echo', '--detach', '-f', file], ROOT, 300_000)).status).toBe(0);
    const t0 = Date.now();
    const reset = await labAsync(['reset', '-f', file, '--json'], ROOT, 300_000);
    expect(reset.status, reset.stderr).toBe(0);
    expect(json<{ nodes: Array<{ node: string; appsStopped: string[] }> }>(reset.stdout).nodes).toEqual([
      expect.objectContaining({ node: 'dut', appsStopped: ['l2_echo'] }),
    ]);
    console.log(`lab reset: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(state().apps).toEqual({});
    const restarted = state().nodes.dut!.qemu!.proc;
    expect(isAlive(qemu), 'the QEMU that ran the app is gone').toBe(false);
    expect(isAlive(restarted), 'a QEMU started from the snapshot runs, and the state records it').toBe(true);
    const mac = loadLab(file).nodes[0]!.nics[0]!.mac;
    const links = await labAsync(['ssh', 'dut', '-f', file, '--', 'ip', '-j', 'link', 'show']);
    expect(
      (JSON.parse(links.stdout) as Array<{ address?: string }>).some((l) => l.address === mac),
      'the kernel has the NIC again',
    ).toBe(true);
    expect(
      (await labAsync(['run', 'l2_echo', '--detach', '-f', file], ROOT, 300_000)).status,
      'an app starts on the reset VM',
    ).toBe(0);
  }, 600_000);

  it(
    'a changed spec makes the next up cold again, and says why',
    async () => {
      if (!existsSync(join(vmDir, 'snapshot.json'))) await upOrFail();
      await labAsync(['down', '-f', file]);
      const kept = keepSnapshot();
      const bigger = join(work, 'lab-bigger.yaml');
      writeFileSync(bigger, readFileSync(file, 'utf8').replace('memory: 2G', 'memory: 2304M'));
      const said = await upUntil(bigger, 'dut: wait for SSH');
      expect(said).toContain(
        'dut: the provisioned snapshot was made from another image, QEMU command line, cloud-init seed or native sources: booting cold',
      );
      expect(said).not.toContain('from the provisioned snapshot (-loadvm)');
      kept.restore();
    },
    UP_TIMEOUT,
  );

  it(
    'one that fails to load is discarded with a warning and the VM boots cold, never hangs',
    async () => {
      if (!existsSync(join(vmDir, 'snapshot.json'))) await upOrFail();
      await labAsync(['down', '-f', file]);
      const kept = keepSnapshot();
      // The key still matches, but the overlay no longer holds the snapshot.
      expect(spawnSync('qemu-img', ['snapshot', '-d', 'lab-provisioned', join(vmDir, 'disk.qcow2')]).status).toBe(0);
      const said = await upUntil(file, 'dut: wait for SSH');
      expect(said).toContain('the provisioned snapshot did not restore, so it is discarded and the VM boots cold');
      expect(said).toContain('dut: disk overlay and cloud-init seed');
      expect(existsSync(join(vmDir, 'snapshot.json'))).toBe(false);
      kept.restore();
    },
    UP_TIMEOUT,
  );
});

describe('a QEMU VM linked to a netns tester node', () => {
  // The lab's VM with a netns node on the other end of a link: the tap and the veth meet in a bridge.
  const mixed = join(work, 'mixed.yaml');
  writeFileSync(
    mixed,
    readFileSync(file, 'utf8')
      .replace(
        /^apps:/m,
        [
          '  tst:',
          '    kind: netns',
          '    cpus: 1',
          '    nics:',
          '      - { name: eth0, ip: 10.10.0.1/24 }',
          '',
          'links:',
          '  - endpoints: [tst.eth0, dut.dp0]',
          '',
          'apps:',
        ].join('\n'),
      )
      .replace(/^verify:\n/m, 'verify:\n  from: tst\n'),
  );
  afterAll(async () => void (await labAsync(['down', '-f', mixed])), 120_000);

  it(
    "joins the tap and the tester's veth in a bridge, and every check of both apps passes from the tester",
    async () => {
      await upOrFail(mixed);
      const bridged = JSON.parse(lab(['status', '-f', mixed, '--json']).stdout) as {
        nodes: Array<{ node: string; nics: Array<{ link?: string }> }>;
      };
      expect(bridged.nodes.map((v) => [v.node, v.nics[0]!.link])).toEqual([
        ['dut', 'tst.eth0'],
        ['tst', 'dut.dp0'],
      ]);
      const members = spawnSync('ip', ['-n', `lab-${name}`, '-j', 'link', 'show', 'master', 'lk0'], {
        encoding: 'utf8',
      });
      expect((JSON.parse(members.stdout) as Array<{ ifname: string }>).map((l) => l.ifname).sort()).toEqual([
        'dut-dp0',
        'tst-eth0',
      ]);
      const addrs = spawnSync('ip', ['-n', `lab-${name}`, '-j', '-4', 'addr', 'show', 'dut-dp0'], { encoding: 'utf8' });
      expect(
        (JSON.parse(addrs.stdout) as Array<{ addr_info: unknown[] }>)[0]?.addr_info ?? [],
        'the tap is a bridge port, with no host address',
      ).toEqual([]);

      // The running lab with its link impaired: lab up puts a relay between the multiqueue tap and the veth in the bridge's place.
      const impaired = join(work, 'mixed-impaired.yaml');
      writeFileSync(
        impaired,
        readFileSync(mixed, 'utf8').replace(
          '  - endpoints: [tst.eth0, dut.dp0]\n',
          '  - endpoints: [tst.eth0, dut.dp0]\n    impair: { delay_us: 300 }\n',
        ),
      );
      const relayed = await labAsync(['up', '-f', impaired], ROOT, 300_000);
      expect(relayed.status, relayed.stderr).toBe(0);
      expect(relayed.stderr).toContain('relay lk0 for links[0] tst.eth0 ⇄ dut.dp0 (delay 300 µs)');
      const bridgePorts = () =>
        (
          JSON.parse(
            spawnSync('ip', ['-n', `lab-${name}`, '-j', 'link', 'show', 'master', 'lk0'], { encoding: 'utf8' }).stdout,
          ) as Array<{ ifname: string }>
        )
          .map((l) => l.ifname)
          .sort();
      expect(bridgePorts(), 'the tap left the bridge for the relay').toEqual([]);
      expect((await labAsync(['run', 'l2_multi_echo', '--detach', '-f', impaired], ROOT, 300_000)).status).toBe(0);
      const v = await labAsync(['verify', 'l2_multi_echo', '--control', '-f', impaired, '--json'], ROOT, 300_000);
      expect(v.status, v.stdout + v.stderr).toBe(0);
      const vchecks = json<{ checks: Array<{ check: string; measured: string; data: { min: number } }> }>(
        v.stdout,
      ).checks;
      expect(
        vchecks.find((c) => c.check === 'latency')!.data.min,
        'the relay holds each frame 300 µs each way',
      ).toBeGreaterThanOrEqual(600);
      expect(
        vchecks.find((c) => c.check === 'rss')!.measured,
        'both queues of the virtio NIC get the flows through the relay',
      ).toContain('the impaired wire delivered');
      const plain = await labAsync(['up', '-f', mixed], ROOT, 300_000);
      expect(plain.status, plain.stderr).toBe(0);
      expect(bridgePorts(), 'without the impairment the relay goes and the bridge is back').toEqual([
        'dut-dp0',
        'tst-eth0',
      ]);

      const t = await labAsync(['test', '-f', mixed, '--json'], ROOT, 900_000);
      expect(t.status, t.stdout + t.stderr).toBe(0);
      const checks = json<{ checks: Array<{ check: string; app: string; status: string }> }>(t.stdout).checks;
      expect(checks.filter((c) => c.status === 'failed')).toEqual([]);
      expect(
        checks.find((c) => c.app === 'l2_multi_echo' && c.check === 'rss')?.status,
        'both queues of the virtio NIC still get traffic through the bridge',
      ).toBe('passed');
      expect(netnsExists(`lab-${name}`)).toBe(false);
      expect(netnsExists(`lab-${name}-tst`)).toBe(false);
    },
    UP_TIMEOUT,
  );
});

describe('examples/two-vm.yaml: a tester VM added to the running DUT', () => {
  // The example's DUT is lab.yaml's (its MAC given, as lab.yaml gives it), so it restores from the
  // snapshot the tests above made, and only the tester boots: a second VM joining a running lab.
  const twoVm = join(work, 'two-vm.yaml');
  writeFileSync(
    twoVm,
    readFileSync(join(ROOT, 'examples/two-vm.yaml'), 'utf8')
      .replace(/^name: .*/m, `name: ${name}`)
      .replace('        queues: 2\n', '        queues: 2\n        mac: "52:54:00:12:34:56"\n'),
  );
  const dutFiles = ['qemu.sh', 'user-data', 'meta-data', 'network-config'].map((f) =>
    join(stateDir, 'nodes', 'dut', f),
  );
  const files = () => dutFiles.map((f) => [f, readFileSync(f, 'utf8'), statSync(f).mtimeMs]);
  afterAll(async () => void (await labAsync(['down', '-f', twoVm])), 120_000);

  let before: { files: ReturnType<typeof files>; dut: NonNullable<State['nodes'][string]['qemu']> };
  let up: CliResult;
  beforeAll(async () => {
    await upOrFail(file);
    before = { files: files(), dut: state().nodes.dut!.qemu! };
    up = await upOrFail(twoVm);
  }, 2 * UP_TIMEOUT);

  it("lab up starts only the new VM and leaves the running one's files, SSH port and process untouched", async () => {
    expect(up.stderr).toContain('tst: start QEMU');
    expect(up.stderr).not.toContain('dut: start QEMU');
    expect(up.stderr).not.toContain('dut: render');
    expect(files(), "dut's rendered files").toEqual(before.files);
    const after = state().nodes;
    expect(after.dut!.qemu).toEqual(before.dut);
    expect(isAlive(before.dut.proc)).toBe(true);
    expect(after.tst!.qemu!.sshPort).not.toBe(before.dut.sshPort);
    const nodes = json<{ nodes: Array<{ node: string; sshPort: number }> }>(up.stdout).nodes;
    expect(nodes.map((v) => [v.node, v.sshPort])).toEqual([
      ['tst', after.tst!.qemu!.sshPort],
      ['dut', before.dut.sshPort],
    ]);
    expect((await labAsync(['ssh', 'tst', '-f', twoVm, '--', 'hostname'])).stdout.trim()).toBe('tst');
  }, 120_000);

  it("verify runs from the tester VM's kernel: the probe and the pings leave through its NIC", async () => {
    await upOrFail(twoVm);
    const status = json<{ nodes: Array<{ node: string; nics: Array<{ guestIf?: string; link?: string }> }> }>(
      lab(['status', '-f', twoVm, '--json']).stdout,
    );
    expect(
      status.nodes.map((v) => [v.node, v.nics[0]!.link]),
      "the running DUT's tap was wired into the link",
    ).toEqual([
      ['tst', 'dut.dp0'],
      ['dut', 'tst.eth0'],
    ]);
    const testerIf = status.nodes.find((v) => v.node === 'tst')!.nics[0]!.guestIf!;
    const txPackets = async () =>
      Number(
        (
          await labAsync(['ssh', 'tst', '-f', twoVm, '--', 'cat', `/sys/class/net/${testerIf}/statistics/tx_packets`])
        ).stdout.trim(),
      );
    expect((await labAsync(['run', 'l2_multi_echo', '--detach', '-f', twoVm], ROOT, 300_000)).status).toBe(0);
    const txBefore = await txPackets();
    const v = await labAsync(['verify', 'l2_multi_echo', '--control', '-f', twoVm, '--json'], ROOT, 300_000);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    // The probe's 2000 frames and the pings left through the tester guest's own NIC.
    expect((await txPackets()) - txBefore).toBeGreaterThanOrEqual(2010);
  }, 600_000);

  it('lab down tst stops that QEMU and removes its tap; dut runs on', async () => {
    await upOrFail(twoVm);
    const { dut, tst } = state().nodes;
    const down = await labAsync(['down', 'tst', '-f', twoVm, '--json']);
    expect(down.status, down.stderr).toBe(0);
    expect(json<{ removed: string[] }>(down.stdout).removed).toEqual([
      expect.stringMatching(/^QEMU of tst \(pid \d+, /),
      'interface tst-eth0',
    ]);
    expect(isAlive(tst!.qemu!.proc)).toBe(false);
    expect(isAlive(dut!.qemu!.proc)).toBe(true);
    expect(state().nodes.tst, 'its record is gone').toBeUndefined();
    const status = json<{ nodes: Array<{ node: string; state: string }> }>(
      lab(['status', '-f', twoVm, '--json']).stdout,
    );
    expect(status.nodes.map((v) => [v.node, v.state])).toEqual([
      ['tst', 'stopped'],
      ['dut', 'running'],
    ]);
  }, 120_000);

  it('after kill -9 of one QEMU, status says that VM crashed and the other runs; down from the one-VM spec cleans up everything', async () => {
    await upOrFail(twoVm);
    const { dut, tst } = state().nodes;
    process.kill(dut!.qemu!.proc.pid, 'SIGKILL');
    await waitFor(() => !isAlive(dut!.qemu!.proc), { timeoutMs: 10_000 });
    const status = json<{ nodes: Array<{ node: string; state: string }> }>(
      lab(['status', '-f', twoVm, '--json']).stdout,
    );
    expect(status.nodes.map((v) => [v.node, v.state])).toEqual([
      ['tst', 'running'],
      ['dut', 'crashed'],
    ]);
    // Down from lab.yaml's spec: tst is only in the state, and goes too.
    const down = await labAsync(['down', '-f', file]);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain(`QEMU of tst (pid ${tst!.qemu!.proc.pid}`);
    expect(netnsExists(`lab-${name}`)).toBe(false);
    expect(isAlive(tst!.qemu!.proc)).toBe(false);
  }, 120_000);

  it(
    'lab test passes every check from the tester VM, and down leaves nothing',
    async () => {
      const junit = join(work, 'two-vm.xml');
      const t = await labAsync(['test', '-f', twoVm, '--json', '--junit', junit], ROOT, UP_TIMEOUT);
      expect(t.status, t.stdout + t.stderr).toBe(0);
      const checks = json<{ checks: Array<{ check: string; app: string; status: string }> }>(t.stdout).checks;
      expect(checks.map((c) => `${c.app} ${c.check} ${c.status}`)).toEqual([
        'l2_echo kernel_bypass passed',
        'l2_echo echo passed',
        'l2_echo rss skipped',
        'l2_echo latency passed',
        'l2_echo control passed',
        'l2_multi_echo kernel_bypass passed',
        'l2_multi_echo echo passed',
        'l2_multi_echo rss passed',
        'l2_multi_echo latency passed',
        'l2_multi_echo control passed',
      ]);
      expect(readFileSync(junit, 'utf8')).toContain('failures="0"');
      expect(netnsExists(`lab-${name}`)).toBe(false);
      expect(spawnSync('pgrep', ['-f', '--', `-name lab-${name}-`]).status, 'no QEMU of this lab is left').toBe(1);
    },
    UP_TIMEOUT,
  );
});

describe("lab test, the README's main command", () => {
  beforeAll(async () => void (await labAsync(['down', '-f', file])), 120_000);

  it(
    'runs up, then run, verify and stop for each app, then down, and reports every check',
    async () => {
      const junit = join(work, 'test.xml');
      const t = await labAsync(['test', '-f', file, '--json', '--junit', junit], ROOT, UP_TIMEOUT);
      expect(t.status, t.stdout + t.stderr).toBe(0);
      const report = json<{ counts: { passed: number; failed: number; skipped: number } }>(t.stdout);
      expect(report.counts).toEqual({ passed: 9, failed: 0, skipped: 1 });
      expect(readFileSync(junit, 'utf8')).toContain('tests="10" failures="0" errors="0"');
      expect(netnsExists(`lab-${name}`)).toBe(false);
    },
    UP_TIMEOUT,
  );
});

describe("examples/dpdk-examples-vm.yaml: DPDK's skeleton and l2fwd built in the guest, forwarding between two multiqueue virtio NICs", () => {
  // A VM of its own (two NICs), booted cold once: lab test brings it up and takes it down. The
  // skeleton and l2fwd run from their builds in the guest (the sources sent over SFTP): nothing else
  // there provides them.
  const fwdName = `fw${process.pid % 100000}`;
  const fwdFile = join(work, 'dpdk-examples-vm.yaml');
  writeFileSync(
    fwdFile,
    readFileSync(join(ROOT, 'examples/dpdk-examples-vm.yaml'), 'utf8').replace(/^name: .*/m, `name: ${fwdName}`),
  );
  afterAll(async () => void (await labAsync(['down', '-f', fwdFile, '--purge'])), 120_000);

  it(
    "passes lab test each way, byte for byte, and the spread over each NIC's queues comes from telemetry",
    async () => {
      const t = await labAsync(['test', '-f', fwdFile, '--json'], ROOT, UP_TIMEOUT);
      expect(t.status, t.stdout + t.stderr).toBe(0);
      const report = json<{ checks: Array<{ app: string; check: string; status: string; measured: string }> }>(
        t.stdout,
      );
      expect(report.checks.map((c) => `${c.app} ${c.check} ${c.status}`)).toEqual([
        'basicfwd kernel_bypass passed',
        'basicfwd forward passed',
        'basicfwd rss skipped',
        'basicfwd latency passed',
        'basicfwd control passed',
        'l2fwd kernel_bypass passed',
        'l2fwd forward passed',
        'l2fwd rss skipped',
        'l2fwd latency passed',
        'l2fwd control passed',
        'io kernel_bypass passed',
        'io forward passed',
        'io rss passed',
        'io latency passed',
        'io control passed',
      ]);
      const rss = report.checks.find((c) => c.app === 'io' && c.check === 'rss')!;
      expect(rss.measured).toMatch(/port 0 \(dp0\): 2\/2 queues received traffic.*port 1 \(dp1\): 2\/2 queues/);
      expect(netnsExists(`lab-${fwdName}`)).toBe(false);
    },
    UP_TIMEOUT,
  );
});

/**
 * Starts `lab up` on a lab of its own (so the tests above keep their snapshots) and resolves once
 * every VM's QEMU runs and the up waits for SSH: a cold boot, stopped in the middle.
 */
async function upUntilSshWait(
  spec: string,
  nodes: string[],
): Promise<{ child: ReturnType<typeof spawn>; qemus: ProcRef[]; stderr: () => string }> {
  const dir = join(work, '.lab', loadLab(spec).name, 'nodes');
  const child = spawn(process.execPath, [join(ROOT, 'bin/lab.js'), 'up', '-f', spec], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = () =>
    nodes.every((node) => stderr.includes(`✓ ${node}: start QEMU`) && existsSync(join(dir, node, 'qemu.pid')));
  const waiting = await waitFor(() => started() && stderr.includes('wait for SSH'), { timeoutMs: 300_000 });
  if (!waiting) {
    child.kill('SIGKILL');
    throw new Error(`lab up never reached the SSH wait:\n${stderr}`);
  }
  const qemus = nodes.map((node) => procRef(Number(readFileSync(join(dir, node, 'qemu.pid'), 'utf8'))));
  if (qemus.some((q) => !q)) throw new Error(`QEMU does not run:\n${stderr}`);
  return { child, qemus: qemus as ProcRef[], stderr: () => stderr };
}

describe('Ctrl-C during lab up of two VMs', () => {
  const ccName = `cc${process.pid % 100000}`;
  const ccFile = join(work, 'ctrl-c.yaml');
  writeFileSync(
    ccFile,
    readFileSync(join(ROOT, 'examples/two-vm.yaml'), 'utf8').replace(/^name: .*/m, `name: ${ccName}`),
  );
  afterAll(() => void lab(['down', '-f', ccFile, '--purge']));

  it('finds both QEMUs booting at once, then undoes what the run made: no QEMU, no namespace, no state, no overlay', async () => {
    const { child, qemus, stderr } = await upUntilSshWait(ccFile, ['tst', 'dut']);
    // The VMs boot in parallel: the second QEMU starts before either guest answers SSH.
    expect(stderr(), 'no guest answered SSH before both QEMUs ran').not.toMatch(/✓ (tst|dut): wait for SSH/);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited, stderr()).toBe(130);
    expect(stderr()).toContain('interrupted');
    for (const qemu of qemus) expect(isAlive(qemu), `QEMU ${qemu.pid} was stopped`).toBe(false);
    expect(netnsExists(`lab-${ccName}`)).toBe(false);
    const ccState = join(work, '.lab', ccName);
    expect(existsSync(join(ccState, 'state.json'))).toBe(false);
    for (const node of ['tst', 'dut'])
      expect(existsSync(join(ccState, 'nodes', node, 'disk.qcow2')), `${node}'s overlay is gone`).toBe(false);
    expect(
      json<{ nodes: Array<{ state: string }> }>(lab(['status', '-f', ccFile, '--json']).stdout).nodes.map(
        (v) => v.state,
      ),
    ).toEqual(['stopped', 'stopped']);
  }, 360_000);
});

describe('a lab up killed outright (SIGKILL: no undo can run)', () => {
  const kName = `kl${process.pid % 100000}`;
  const kFile = join(work, 'killed.yaml');
  writeFileSync(kFile, readFileSync(file, 'utf8').replace(/^name: .*/m, `name: ${kName}`));
  afterAll(() => void lab(['down', '-f', kFile, '--purge']));

  it('leaves a half-made lab that status calls broken and down clears: QEMU, namespace, taps', async () => {
    const {
      child,
      qemus: [qemu],
    } = await upUntilSshWait(kFile, ['dut']);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const status = json<{ nodes: Array<{ state: string; pid?: number }> }>(
      lab(['status', '-f', kFile, '--json']).stdout,
    );
    expect(status.nodes[0]).toMatchObject({ state: 'broken', pid: qemu!.pid });
    // Another up leaves the orphan's disk alone and says what to do.
    const disk = nodePaths(labPaths(loadLab(kFile)).root, 'dut').disk;
    const before = statSync(disk);
    const again = await labAsync(['up', '-f', kFile]);
    expect(again.status).toBe(3);
    expect(again.stderr).toContain(`a QEMU of node dut (pid ${qemu!.pid}) still runs from an earlier lab up`);
    expect(statSync(disk).ino, "the orphan's overlay is the same file").toBe(before.ino);
    expect(isAlive(qemu!)).toBe(true);
    const down = await labAsync(['down', '-f', kFile]);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain(`QEMU of dut (pid ${qemu!.pid}`);
    expect(isAlive(qemu!), 'QEMU was stopped').toBe(false);
    expect(netnsExists(`lab-${kName}`)).toBe(false);
    expect(
      json<{ nodes: Array<{ state: string }> }>(lab(['status', '-f', kFile, '--json']).stdout).nodes[0]!.state,
    ).toBe('stopped');
  }, 360_000);
});
