// The VM-free tier through the CLI, as a user drives it: up, run, verify, stop, down, test.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeBuildDir } from '../../src/host/native-build.js';
import { labCacheRoot } from '../../src/layout.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { run, runQuiet } from '../../src/host/exec.js';
import { netnsExists } from '../../src/host/netns.js';
import { spawn } from 'node:child_process';
import { isAlive, procRef } from '../../src/host/process.js';
import { waitFor } from '../../src/host/wait.js';
import { lab, labAsync, ROOT } from '../helpers/lab.js';
import { expectConsistentSearch } from '../helpers/search.js';
import type { BenchResult } from '../../src/core/bench-apps.js';

const work = mkdtempSync(join(tmpdir(), 'lab-netns-'));
let n = 0;
const specs: string[] = [];

/** An example (examples/netns.yaml by default) under a name of this test's own, so nothing collides with a user's lab. */
function spec(
  edit: (text: string) => string = (t) => t,
  example = 'examples/netns.yaml',
): { file: string; name: string } {
  const name = `nt${process.pid % 100000}x${n++}`;
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, edit(readFileSync(join(ROOT, example), 'utf8').replace(/^name: .*/m, `name: ${name}`)));
  specs.push(file);
  return { file, name };
}

afterEach(() => {
  for (const file of specs.splice(0)) lab(['down', '-f', file]);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const json = <T>(out: string) => JSON.parse(out) as T;

describe('lab on netns VMs', () => {
  it('up is idempotent, run starts the app, verify passes every check, down leaves nothing', async () => {
    const { file, name } = spec();
    const up1 = lab(['up', '-f', file, '--json']);
    expect(up1.status, up1.stderr).toBe(0);
    expect(json<{ alreadyUp: boolean }>(up1.stdout).alreadyUp).toBe(false);
    expect(up1.stderr).toMatch(/✓ start dut: namespace lab-\w+-dut/);
    expect(statSync(join(work, '.lab', name)).mode & 0o777, "the state folder is the owner's alone").toBe(0o700);
    expect(json<{ alreadyUp: boolean }>(lab(['up', '-f', file, '--json']).stdout).alreadyUp).toBe(true);
    // lab up built its programs into the cache, by the sources' content, not into the package.
    expect(up1.stderr).toContain(`build the native apps into ${nativeBuildDir()}`);
    expect(nativeBuildDir().startsWith(labCacheRoot())).toBe(true);
    for (const program of ['l2probe', 'l2impair', 'l2_echo', 'l2_multi_echo'])
      expect(existsSync(join(nativeBuildDir(), program)), program).toBe(true);

    const started = lab(['run', 'l2_multi_echo', '--detach', '-f', file, '--json']);
    expect(started.status, started.stderr).toBe(0);
    const r = json<{ pid: number; ready: { queues: number; rss: string } }>(started.stdout);
    expect(r.ready).toMatchObject({ queues: 2, rss: 'backend' });
    const app = procRef(r.pid);
    expect(readFileSync(`/proc/${r.pid}/cmdline`, 'utf8').split('\0')[0], 'the app runs from the cache').toBe(
      join(nativeBuildDir(), 'l2_multi_echo'),
    );
    expect(app && isAlive(app), 'the app runs under the PID lab reported').toBe(true);
    expect(lab(['run', 'l2_multi_echo', '--detach', '-f', file]).stdout).toContain('already running');
    expect(lab(['run', 'l2_echo', '--detach', '-f', file]).stderr).toContain('is taken by app l2_multi_echo');

    const status = json<{ up: boolean; apps: Array<{ app: string; state: string }> }>(
      lab(['status', '-f', file, '--json']).stdout,
    );
    expect(status.up).toBe(true);
    expect(status.apps).toEqual([expect.objectContaining({ app: 'l2_multi_echo', state: 'running' })]);

    // lab verify leaves the app running, so it can be repeated; control is reported as not run.
    for (const round of [1, 2]) {
      const again = lab(['verify', '-f', file, '--json']);
      expect(again.status, `verify round ${round}: ${again.stdout}${again.stderr}`).toBe(0);
      const checks = json<{ checks: Array<{ check: string; status: string }> }>(again.stdout).checks;
      expect(checks.map((c) => [c.check, c.status])).toEqual([
        ['kernel_bypass', 'passed'],
        ['echo', 'passed'],
        ['rss', 'passed'],
        ['latency', 'passed'],
        ['control', 'skipped'],
      ]);
      expect(isAlive(app!), `verify round ${round} left the app running`).toBe(true);
    }

    const junit = join(work, `${name}.xml`);
    const v = lab(['verify', '--control', '-f', file, '--json', '--junit', junit]);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    const report = json<{ passed: boolean; checks: Array<{ check: string; status: string }> }>(v.stdout);
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ['kernel_bypass', 'passed'],
      ['echo', 'passed'],
      ['rss', 'passed'],
      ['latency', 'passed'],
      ['control', 'passed'],
    ]);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuites name="lab nt\w+" tests="5" failures="0"/);
    expect(isAlive(app!), 'the control check stopped the app').toBe(false);

    const down = lab(['down', '-f', file]);
    expect(down.status).toBe(0);
    expect(netnsExists(`lab-${name}`)).toBe(false);
    expect(netnsExists(`lab-${name}-dut`)).toBe(false);
    expect(lab(['down', '-f', file]).stdout).toContain('nothing to remove');
  }, 120_000);

  it('verify fails, exit 1, when the kernel still answers: the checks can fail', async () => {
    const { file, name } = spec();
    expect(lab(['up', '-f', file]).status).toBe(0);
    expect(lab(['run', 'l2_echo', '--detach', '-f', file]).status).toBe(0);
    // Behind lab's back, give the kernel its address again: the app no longer has the NIC to itself.
    await run(['ip', '-n', `lab-${name}-dut`, 'addr', 'add', '10.11.0.2/24', 'dev', 'dp0']);
    const v = lab(['verify', 'l2_echo', '-f', file, '--json']);
    expect(v.status).toBe(1);
    const report = json<{ passed: boolean; checks: Array<{ check: string; status: string }> }>(v.stdout);
    expect(report.passed).toBe(false);
    expect(report.checks.find((c) => c.check === 'kernel_bypass')!.status).toBe('failed');
  }, 120_000);

  it('verify reports a check it cannot carry out as failed, with why, and still names every check', async () => {
    const { file } = spec();
    expect(lab(['up', '-f', file]).status).toBe(0);
    const started = lab(['run', 'l2_multi_echo', '--detach', '-f', file, '--json']);
    expect(started.status, started.stderr).toBe(0);
    // Behind lab's back, freeze the app: it holds the NIC but answers neither its telemetry nor SIGTERM.
    const { pid } = json<{ pid: number }>(started.stdout);
    const app = procRef(pid)!;
    expect(isAlive(app)).toBe(true);
    process.kill(pid, 'SIGSTOP');
    const v = lab(['verify', 'l2_multi_echo', '--control', '-f', file, '--json']);
    expect(v.status, v.stdout + v.stderr).toBe(1);
    const checks = json<{ checks: Array<{ check: string; status: string; measured: string }> }>(v.stdout).checks;
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ['kernel_bypass', 'passed'],
      ['echo', 'failed'],
      ['rss', 'failed'],
      ['latency', 'failed'],
      ['control', 'failed'],
    ]);
    expect(checks[1]!.measured).toMatch(/^could not check: the app's telemetry did not answer within 5 s/);
    expect(checks[4]!.measured).toContain('after lab stop (killed)');
    expect(isAlive(app), 'the frozen app was killed').toBe(false);
  }, 120_000);

  it("run with --force reproduces the multiqueue pitfall: the app's own message, NIC given back, nothing left", async () => {
    const { file, name } = spec((t) => t.replace('queues: 2', 'queues: 1'));
    expect(lab(['validate', '-f', file]).stderr).toContain('needs 2 queues');
    expect(lab(['up', '-f', file, '--force']).status).toBe(0);
    const r = lab(['run', 'l2_multi_echo', '--detach', '-f', file, '--force']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('the app exited before it was ready');
    expect(r.stderr).toContain('qpairs=2');
    const status = json<{ apps: unknown[] }>(lab(['status', '-f', file, '--json']).stdout);
    expect(status.apps).toEqual([]);
    const addr = await runQuiet(['ip', '-n', `lab-${name}-dut`, '-4', 'addr', 'show', 'dp0']);
    expect(addr.stdout, 'the NIC got its address back').toContain('10.11.0.2/24');
  }, 120_000);

  it('run without --detach follows the app; Ctrl-C stops it and gives the NIC back', async () => {
    const { file, name } = spec();
    expect(lab(['up', '-f', file]).status).toBe(0);
    const child = spawn(process.execPath, [join(ROOT, 'bin/lab.js'), 'run', 'l2_echo', '-f', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const following = await waitFor(() => stderr.includes('Ctrl-C stops it'), { timeoutMs: 60_000 });
    expect(following, stderr).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('l2_echo stopped (exited)');
    expect(stderr).toMatch(/final counters: q0: rx \d+ tx \d+ dropped 0/);
    const addr = await runQuiet(['ip', '-n', `lab-${name}-dut`, '-4', 'addr', 'show', 'dp0']);
    expect(addr.stdout).toContain('10.11.0.2/24');
    expect(json<{ apps: unknown[] }>(lab(['status', '-f', file, '--json']).stdout).apps).toEqual([]);
  }, 120_000);

  it('down cleans up a half-made lab with no state', async () => {
    const { file, name } = spec();
    await run(['ip', 'netns', 'add', `lab-${name}`]);
    await run(['ip', 'netns', 'add', `lab-${name}-dut`]);
    const down = lab(['down', '-f', file, '--purge']);
    expect(down.status).toBe(0);
    expect(down.stdout).toContain(`namespace lab-${name}-dut`);
    expect(netnsExists(`lab-${name}`)).toBe(false);
    expect(existsSync(join(work, '.lab', name))).toBe(false);
  }, 60_000);

  it("lab ssh opens a shell or runs a command in the node's namespace; lab logs shows an app's log", () => {
    const { file } = spec();
    expect(lab(['up', '-f', file]).status).toBe(0);
    const addr = lab(['ssh', 'dut', '-f', file, '--', 'ip', '-br', '-4', 'addr', 'show', 'dp0']);
    expect(addr.status, addr.stderr).toBe(0);
    expect(addr.stdout).toContain('10.11.0.2/24');
    expect(lab(['ssh', 'dut', '-f', file, '--', 'sh', '-c', 'exit 5']).status, 'the exit code passes through').toBe(5);
    expect(lab(['run', 'l2_echo', '--detach', '-f', file]).status).toBe(0);
    const log = lab(['logs', 'dut', 'l2_echo', '-f', file]);
    expect(log.status, log.stderr).toBe(0);
    expect(log.stdout).toContain('{"event":"ready"');
    const serial = lab(['logs', 'dut', 'serial', '-f', file]);
    expect(serial.status).toBe(2);
    expect(serial.stderr).toContain('node dut has no log "serial"');
    expect(serial.stderr).toContain('Its logs: l2_echo, l2_multi_echo.');
  }, 60_000);

  it('down also takes down a node the spec no longer names, from the state', async () => {
    const { file, name } = spec((t) =>
      t.replace(/^apps:/m, '  peer:\n    kind: netns\n    nics:\n      - { name: dp0, ip: 10.11.1.2/24 }\n\napps:'),
    );
    expect(lab(['up', '-f', file]).status).toBe(0);
    expect(netnsExists(`lab-${name}-peer`)).toBe(true);
    const without = join(work, `${name}-one.yaml`);
    writeFileSync(
      without,
      readFileSync(join(ROOT, 'examples/netns.yaml'), 'utf8').replace(/^name: .*/m, `name: ${name}`),
    );
    const down = lab(['down', '-f', without]);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain(`namespace lab-${name}-peer`);
    expect(netnsExists(`lab-${name}-peer`)).toBe(false);
    expect(netnsExists(`lab-${name}`)).toBe(false);
  }, 60_000);

  it('lab bench prints the zero-loss table for 64–1518 B, and verify.throughput holds the app to a rate', async () => {
    const { file, name } = spec((t) =>
      t.replace(/^verify:\n/m, 'verify:\n  throughput: { min_pps: 100000000, trial_s: 0.2 }\n'),
    );
    expect(lab(['up', '-f', file]).status).toBe(0);
    expect(lab(['run', 'l2_multi_echo', '--detach', '-f', file]).status).toBe(0);
    const csv = join(work, `${name}.csv`);
    const html = join(work, `${name}.html`);
    const b = await labAsync(
      ['bench', '-f', file, '--json', '--trial', '0.2', '--csv', csv, '--html', html],
      ROOT,
      300_000,
    );
    expect(b.status, b.stderr).toBe(0);
    const r = json<BenchResult>(b.stdout);
    expect(r.apps.map((a) => a.app)).toEqual(['l2_multi_echo']);
    const rows = r.apps[0]!.rows;
    expect(rows.map((x) => x.frame_size)).toEqual([64, 128, 256, 512, 1024, 1280, 1518]);
    for (const row of rows) {
      expectConsistentSearch(row.rate_pps, row.trials);
      expect(row.rate_pps, `${row.frame_size} B: an echo takes 1000 pps without loss`).toBeGreaterThanOrEqual(1000);
      expect(row.mbps).toBeCloseTo((row.rate_pps * row.frame_size * 8) / 1e6, 1);
    }
    expect(b.stderr, 'progress per size on stderr').toContain('✓ l2_multi_echo: zero-loss search at 1518 B');
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(1 + 7);
    const page = readFileSync(html, 'utf8');
    for (const row of rows)
      expect(page, 'the HTML charts the measured rates').toContain(
        `data-size="${row.frame_size}" data-pps="${row.rate_pps}"`,
      );
    expect(page).toContain('<svg class="chart bench-rtt" data-app="l2_multi_echo"');

    // No echo on 2 CPUs takes 10^8 pps: the check fails with the rate it measured.
    const failed = lab(['verify', 'l2_multi_echo', '-f', file, '--json']);
    expect(failed.status).toBe(1);
    const tp = json<{ checks: Array<{ check: string; status: string; measured: string }> }>(failed.stdout).checks.find(
      (c) => c.check === 'throughput',
    );
    expect(tp).toMatchObject({ status: 'failed' });
    expect(tp!.measured).toMatch(/^\d+ pps \([\d.]+ Mbit\/s\) at 64 B with zero loss, need ≥ 100000000/);

    writeFileSync(file, readFileSync(file, 'utf8').replace('min_pps: 100000000', 'min_pps: 1000'));
    expect(lab(['run', 'l2_multi_echo', '--detach', '-f', file]).status).toBe(0);
    const passed = lab(['verify', 'l2_multi_echo', '-f', file, '--json']);
    expect(passed.status, passed.stdout).toBe(0);
    const checks = json<{ checks: Array<{ check: string; status: string; data: { rate_pps: number } }> }>(
      passed.stdout,
    ).checks;
    expect(
      checks.map((c) => c.check),
      'throughput runs before control, which stops the app',
    ).toEqual(['kernel_bypass', 'echo', 'rss', 'latency', 'throughput', 'control']);
    expect(checks.find((c) => c.check === 'throughput')!.data.rate_pps).toBeGreaterThanOrEqual(1000);
  }, 300_000);

  it('a chain of three nodes: links are veths between node namespaces, every check runs from the tester node', async () => {
    const { file, name } = spec(undefined, 'examples/chain-netns.yaml');
    const up = lab(['up', '-f', file, '--json']);
    expect(up.status, up.stderr).toBe(0);
    const nics = json<{
      nodes: Array<{ node: string; nics: Array<{ name: string; link?: string; labnsIf?: string }> }>;
    }>(up.stdout).nodes.flatMap((v) => v.nics.map((x) => [`${v.node}.${x.name}`, x.link]));
    expect(nics).toEqual([
      ['tst.eth0', 'dut.dp0'],
      ['dut.dp0', 'tst.eth0'],
      ['dut.dp1', 'far.eth0'],
      ['far.eth0', 'dut.dp1'],
    ]);
    // Each link is one veth pair whose ends sit in the two node namespaces; the lab namespace holds none of them.
    const linkOf = async (ns: string, ifname: string) => {
      const [l] = JSON.parse((await run(['ip', '-n', ns, '-j', '-d', 'link', 'show', ifname])).stdout) as Array<{
        linkinfo: { info_kind: string };
        link_netnsid?: number;
      }>;
      return l!;
    };
    expect((await linkOf(`lab-${name}-tst`, 'eth0')).linkinfo.info_kind).toBe('veth');
    expect((await linkOf(`lab-${name}-far`, 'eth0')).linkinfo.info_kind).toBe('veth');
    const labLinks = JSON.parse((await run(['ip', '-n', `lab-${name}`, '-j', 'link', 'show'])).stdout) as Array<{
      ifname: string;
    }>;
    expect(labLinks.map((l) => l.ifname)).toEqual(['lo']);
    expect(
      json<{ alreadyUp: boolean }>(lab(['up', '-f', file, '--json']).stdout).alreadyUp,
      'a second up changes nothing',
    ).toBe(true);

    expect(lab(['run', 'l2_multi_echo', '--detach', '-f', file]).status).toBe(0);
    const txPackets = async () =>
      (
        JSON.parse((await run(['ip', '-n', `lab-${name}-tst`, '-j', '-s', 'link', 'show', 'eth0'])).stdout) as Array<{
          stats64: { tx: { packets: number } };
        }>
      )[0]!.stats64.tx.packets;
    const before = await txPackets();
    const v = lab(['verify', '--control', '-f', file, '--json']);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(
      json<{ checks: Array<{ check: string; status: string }> }>(v.stdout).checks.map((c) => [c.check, c.status]),
    ).toEqual([
      ['kernel_bypass', 'passed'],
      ['echo', 'passed'],
      ['rss', 'passed'],
      ['latency', 'passed'],
      ['control', 'passed'],
    ]);
    // The tester's own NIC sent the probe's 2000 frames and the pings: the checks ran from its kernel.
    expect((await txPackets()) - before).toBeGreaterThanOrEqual(2000 + 10);

    expect(lab(['down', '-f', file]).status).toBe(0);
    for (const ns of ['', '-tst', '-dut', '-far'])
      expect(netnsExists(`lab-${name}${ns}`), `lab-${name}${ns}`).toBe(false);
  }, 120_000);

  it('status and down per VM: one node goes with its wires, the rest run on, and up brings back just that one', async () => {
    const { file, name } = spec(undefined, 'examples/chain-netns.yaml');
    expect(lab(['up', '-f', file]).status).toBe(0);
    const down = lab(['down', 'far', '-f', file, '--json']);
    expect(down.status, down.stderr).toBe(0);
    expect(json<{ removed: string[] }>(down.stdout).removed).toEqual([`namespace lab-${name}-far`]);
    expect(netnsExists(`lab-${name}-far`)).toBe(false);
    const states = () =>
      json<{ nodes: Array<{ node: string; state: string }> }>(lab(['status', '-f', file, '--json']).stdout).nodes.map(
        (v) => [v.node, v.state],
      );
    expect(states()).toEqual([
      ['tst', 'running'],
      ['dut', 'running'],
      ['far', 'stopped'],
    ]);
    expect(
      json<{ nodes: Array<{ node: string }> }>(lab(['status', 'dut', '-f', file, '--json']).stdout).nodes.map(
        (v) => v.node,
      ),
    ).toEqual(['dut']);
    expect(lab(['down', 'nope', '-f', file]).status, 'an unknown node is a usage error').toBe(2);

    const up = lab(['up', '-f', file]);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stderr).toContain('start far');
    expect(up.stderr).not.toContain('start dut');
    expect(up.stderr, 'the link to far is made again').toContain('link dut.dp1 ⇄ far.eth0 (veth)');
    expect(states()).toEqual([
      ['tst', 'running'],
      ['dut', 'running'],
      ['far', 'running'],
    ]);
  }, 60_000);

  it('a shared network: a bridge in the lab namespace with every member as a port, checks from the tester node', async () => {
    const { file, name } = spec(undefined, 'examples/lan-netns.yaml');
    const up = lab(['up', '-f', file]);
    expect(up.status, up.stderr).toBe(0);
    const bridge = (
      JSON.parse((await run(['ip', '-n', `lab-${name}`, '-j', '-d', 'link', 'show', 'br-lan'])).stdout) as Array<{
        linkinfo: { info_data: { stp_state: number; forward_delay: number; ageing_time: number } };
      }>
    )[0]!;
    expect(bridge.linkinfo.info_data).toMatchObject({ stp_state: 0, forward_delay: 0, ageing_time: 360000 });
    const ports = JSON.parse(
      (await run(['ip', '-n', `lab-${name}`, '-j', 'link', 'show', 'master', 'br-lan'])).stdout,
    ) as Array<{ ifname: string }>;
    expect(ports.map((p) => p.ifname).sort()).toEqual(['dut-dp0', 'obs-eth0', 'tst-eth0']);
    const t = lab(['test', '-f', file, '--json']);
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(
      json<{ checks: Array<{ check: string; status: string }> }>(t.stdout).checks.every((c) => c.status === 'passed'),
    ).toBe(true);
    for (const ns of ['', '-tst', '-dut', '-obs'])
      expect(netnsExists(`lab-${name}${ns}`), `lab-${name}${ns}`).toBe(false);
  }, 120_000);

  it('long node and NIC names: every interface lab makes fits in 15 characters, status says whose it is, and the lab verifies', async () => {
    const { file, name } = spec(undefined, 'examples/long-names-netns.yaml');
    const up = lab(['up', '-f', file]);
    expect(up.status, up.stderr).toBe(0);
    const namespaces = [`lab-${name}`, `lab-${name}-trafficgen01`, `lab-${name}-dut-left-side`];
    const names = async (ns: string) =>
      (await run(['ip', '-n', ns, '-br', 'link'])).stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]!.replace(/@.*/, ''));
    const seen = (await Promise.all(namespaces.map(names))).flat();
    expect(seen).toContain('port0-uplink');
    for (const ifname of seen) expect(ifname.length, ifname).toBeLessThanOrEqual(15);
    // Which interface in the lab namespace is whose: status says, and they are the bridge's ports.
    const status = json<{ nodes: Array<{ node: string; nics: Array<{ name: string; labnsIf: string }> }> }>(
      lab(['status', '-f', file, '--json']).stdout,
    );
    const owned = status.nodes.flatMap((n) => n.nics.map((x) => x.labnsIf));
    expect(owned).toHaveLength(2);
    expect(seen.filter((n) => owned.includes(n)).sort()).toEqual([...owned].sort());
    expect(lab(['status', '-f', file]).stdout).toContain(`port0-uplink 10.43.0.2/24 ×2q ⇄ ${owned[1]}`);

    const t = lab(['test', '-f', file, '--json']);
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(
      json<{ checks: Array<{ check: string; status: string }> }>(t.stdout).checks.every((c) => c.status === 'passed'),
    ).toBe(true);
    for (const ns of namespaces) expect(netnsExists(ns), ns).toBe(false);
  }, 120_000);

  it("DPDK's own programs pass lab test by what they do: testpmd in macswap, io and mac; the skeleton and l2fwd built from dpdk-doc's sources", async () => {
    // Asynchronously: a minute of synchronous child processes would starve vitest's own messages.
    const checks = async (example: string) => {
      const { file } = spec(undefined, example);
      const t = await labAsync(['test', '-f', file, '--json'], ROOT, 180_000);
      expect(t.status, `${example}: ${t.stdout}${t.stderr}`).toBe(0);
      const report = json<{ checks: Array<{ app: string; check: string; status: string }> }>(t.stdout);
      return report.checks.map((c) => `${c.app} ${c.check} ${c.status}`);
    };
    const forwards = (app: string, rss: string) => [
      `${app} kernel_bypass passed`,
      `${app} forward passed`,
      `${app} rss ${rss}`,
      `${app} latency passed`,
      `${app} control passed`,
    ];
    // macswap echoes, io and mac forward: each app gets the checks of what it does, its queues counted by telemetry.
    expect(await checks('examples/testpmd-netns.yaml')).toEqual([
      'macswap kernel_bypass passed',
      'macswap echo passed',
      'macswap rss passed',
      'macswap latency passed',
      'macswap control passed',
      ...forwards('io', 'passed'),
      ...forwards('mac', 'passed'),
    ]);
    // Real code nobody here wrote, built by lab from Debian's copy; each opens one queue a port.
    expect(await checks('examples/skeleton-netns.yaml')).toEqual(forwards('basicfwd', 'skipped'));
    expect(await checks('examples/l2fwd-netns.yaml')).toEqual(forwards('l2fwd', 'skipped'));
  }, 300_000);

  it('a forward check made to fail names the first differing byte, and the evidence holds both wires', async () => {
    // l2fwd writes its MACs, and this spec says it writes none.
    const { file } = spec((t) => t.replace(/^ {4}rewrite: l2fwd$/m, '    rewrite: none'), 'examples/l2fwd-netns.yaml');
    const evidence = join(work, 'evidence-l2fwd');
    const t = lab(['test', '-f', file, '--evidence', evidence, '--json']);
    expect(t.status, t.stdout + t.stderr).toBe(1);
    const forward = json<{ checks: Array<{ check: string; status: string; measured: string }> }>(t.stdout).checks.find(
      (c) => c.check === 'forward',
    )!;
    expect(forward.status).toBe('failed');
    // The frame went out with l2fwd's 02:00:00:00:00:01 where the unchanged destination (the NIC's 52:54:…) was expected.
    expect(forward.measured).toContain(
      'first differing byte: frame 0, byte 0 (destination MAC), expected 0x52, got 0x02',
    );
    for (const nic of ['dp0', 'dp1']) {
      const pcap = join(evidence, 'apps', 'l2fwd', `verify-${nic}.pcap`);
      const r = await run(['tcpdump', '-nn', '-e', '-r', pcap]);
      expect(r.exitCode, r.stderr).toBe(0);
      // Both ways crossed both wires: frames in to the DUT, and out with l2fwd's MACs.
      expect(r.stdout, nic).toMatch(/> 02:00:00:00:00:0[01]/);
    }
  }, 120_000);

  it("lab bench searches a forwarding app's zero-loss rate across its two wires", async () => {
    const { file } = spec(undefined, 'examples/l2fwd-netns.yaml');
    expect(lab(['up', '-f', file]).status).toBe(0);
    const r = lab(['run', 'l2fwd', '--detach', '-f', file]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const b = await labAsync(['bench', '-f', file, '--json', '--trial', '0.2', '--sizes', '64'], ROOT, 120_000);
    expect(b.status, b.stderr).toBe(0);
    const [app] = json<BenchResult>(b.stdout).apps;
    // Its times are through the DUT, one wire to the other, and the table says so.
    expect(app!.does).toBe('forward');
    const row = app!.rows[0]!;
    expectConsistentSearch(row.rate_pps, row.trials);
    // Every passing trial's frames came out of the other port with l2fwd's MACs: l2probe counts no other as received.
    expect(row.rate_pps, 'l2fwd forwards 1000 pps without loss').toBeGreaterThanOrEqual(1000);
  }, 180_000);

  it('your own app from its sources: built by make where it runs, rebuilt only when edited, a broken build leaves the lab as it was', async () => {
    cpSync(join(ROOT, 'examples/your-app'), join(work, 'your-app'), { recursive: true });
    const source = join(work, 'your-app', 'macswap.c');
    // Sources of this run's own, so no earlier run's build of them is in the cache.
    writeFileSync(source, `${readFileSync(source, 'utf8')}/* run ${process.pid} ${Date.now()} */\n`);
    const builds = (key: string) => join(labCacheRoot(), 'apps', `macswap-${key}`);
    const { file, name } = spec(undefined, 'examples/your-app-netns.yaml');
    expect(lab(['up', '-f', file]).status).toBe(0);
    const since = () =>
      json<{ nodes: Array<{ since: string }> }>(lab(['status', '-f', file, '--json']).stdout).nodes[0]!.since;
    const upAt = since();
    const runApp = () => {
      const r = lab(['run', 'macswap', '--detach', '-f', file, '--json']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return json<{ build: { key: string; built: boolean }; argv: string[] }>(r.stdout);
    };
    const first = runApp();
    expect(first.build.built).toBe(true);
    expect(first.argv[0]).toBe(join(builds(first.build.key), 'build/macswap'));
    const v = lab(['verify', '-f', file, '--json']);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(lab(['stop', 'macswap', '-f', file]).status).toBe(0);
    expect(runApp().build, 'the same sources: the same build, not built again').toEqual({
      ...first.build,
      built: false,
    });
    expect(lab(['stop', 'macswap', '-f', file]).status).toBe(0);

    writeFileSync(source, `${readFileSync(source, 'utf8')}\n/* edited */\n`);
    const edited = runApp();
    expect(edited.build.built).toBe(true);
    expect(edited.build.key).not.toBe(first.build.key);
    expect(since(), 'the node was not made again').toBe(upAt);
    expect(lab(['stop', 'macswap', '-f', file]).status).toBe(0);

    writeFileSync(source, readFileSync(source, 'utf8').replace('static void swap_macs', 'static void swap_macs oops'));
    const broken = lab(['run', 'macswap', '--detach', '-f', file]);
    expect(broken.status).not.toBe(0);
    // The compiler's own line, with the user's file in it, and the lab up and its NIC with the kernel.
    expect(broken.stderr).toMatch(new RegExp(`${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error`));
    expect(since()).toBe(upAt);
    const nicBack = async () =>
      expect((await run(['ip', '-n', `lab-${name}-dut`, '-br', 'addr', 'show', 'dp0'])).stdout).toContain(
        '10.45.0.2/24',
      );
    await nicBack();

    // A build that leaves no program where the spec says: an error naming where, and again nothing changed.
    writeFileSync(source, readFileSync(source, 'utf8').replace('static void swap_macs oops', 'static void swap_macs'));
    writeFileSync(file, readFileSync(file, 'utf8').replace('binary: build/macswap', 'binary: build/nowhere'));
    const before = new Set(readdirSync(join(labCacheRoot(), 'apps')));
    const missing = lab(['run', 'macswap', '--detach', '-f', file]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('made no program at build/nowhere');
    expect(since()).toBe(upAt);
    await nicBack();
    expect(lab(['down', '-f', file]).status).toBe(0);
    const made = readdirSync(join(labCacheRoot(), 'apps')).filter((d) => !before.has(d));
    for (const dir of [first.build.key, edited.build.key]
      .map(builds)
      .concat(made.map((d) => join(labCacheRoot(), 'apps', d))))
      rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('lab test runs the whole sequence and leaves nothing behind', async () => {
    const { file, name } = spec();
    const t = await labAsync(['test', '-f', file, '--json'], ROOT, 180_000);
    expect(t.status, t.stderr).toBe(0);
    const report = json<{ passed: boolean; counts: { passed: number; failed: number; skipped: number } }>(t.stdout);
    expect(report.counts).toEqual({ passed: 9, failed: 0, skipped: 1 });
    expect(netnsExists(`lab-${name}`)).toBe(false);
  }, 180_000);
});
