// Impaired wires on the VM-free tier: l2impair between two node namespaces, as lab up makes it,
// and lab verify's figures under delay and loss; l2impair's line rate held to a capture.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/assets.js';
import { run, runQuiet } from '../../src/host/exec.js';
import { netnsExists } from '../../src/host/netns.js';
import { isAlive, procRef, terminate, type ProcRef } from '../../src/host/process.js';
import { waitFor } from '../../src/host/wait.js';
import { quietNamespaceCommands } from '../../src/render/hostnet.js';
import { lab, ROOT } from '../helpers/lab.js';
import { readPcap } from '../helpers/pcap.js';

const work = mkdtempSync(join(tmpdir(), 'lab-impair-'));
let n = 0;
const specs: string[] = [];
const cleanups: Array<() => Promise<void>> = [];

function spec(): { file: string; name: string } {
  const name = `im${process.pid % 100000}x${n++}`;
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    readFileSync(join(ROOT, 'examples/impaired-netns.yaml'), 'utf8').replace(/^name: .*/m, `name: ${name}`),
  );
  specs.push(file);
  return { file, name };
}

afterEach(async () => {
  for (const file of specs.splice(0)) lab(['down', '-f', file]);
  for (const undo of cleanups.splice(0).reverse()) await undo();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const json = <T>(out: string) => JSON.parse(out) as T;

interface Wire {
  wire: string;
  running: boolean;
  pid?: number;
  impair: { delay_us: number; loss: number };
}
interface Check {
  check: string;
  status: string;
  measured: string;
  data: { sent: number; lost: number; min: number; p50: number };
}

const wires = (file: string) => json<{ wires: Wire[] }>(lab(['impair', '-f', file, '--json']).stdout).wires;
const checksOf = (out: string) => json<{ checks: Check[] }>(out).checks;
const check = (checks: Check[], name: string) => checks.find((c) => c.check === name)!;

describe('an impaired link between a tester and a DUT (examples/impaired-netns.yaml)', () => {
  it('verify reports the loss and the delay the wire adds, lab impair changes them on the running lab, down leaves nothing', async () => {
    const { file, name } = spec();
    const up = lab(['up', '-f', file]);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stderr).toContain('relay lk0 for links[0] tst.eth0 ⇄ dut.dp0 (delay 200 µs, loss 5 %)');
    const [relay] = wires(file);
    expect(relay).toMatchObject({ wire: 'lk0', running: true, impair: { delay_us: 200, loss: 5 } });
    const first = procRef(relay!.pid!)!;
    // Only raw packet sockets and real-time scheduling: CAP_NET_RAW (13) and CAP_SYS_NICE (23).
    const caps = readFileSync(`/proc/${first.pid}/status`, 'utf8');
    expect(caps).toMatch(/^CapEff:\s+0000000000802000$/m);
    expect(caps).toMatch(/^CapBnd:\s+0000000000802000$/m);
    // The relay's ports are the two far ends in the lab namespace, with no address and no bridge. The
    // nodes start in parallel, so which end the kernel numbered first varies: compared by name.
    const ports = JSON.parse((await run(['ip', '-n', `lab-${name}`, '-j', 'addr', 'show'])).stdout) as Array<{
      ifname: string;
      master?: string;
      addr_info: unknown[];
    }>;
    expect(
      ports
        .filter((p) => p.ifname !== 'lo')
        .map((p) => [p.ifname, p.master, p.addr_info.length])
        .sort(),
    ).toEqual([
      ['dut-dp0', undefined, 0],
      ['tst-eth0', undefined, 0],
    ]);
    expect(
      json<{ alreadyUp: boolean }>(lab(['up', '-f', file, '--json']).stdout).alreadyUp,
      'a second up changes nothing',
    ).toBe(true);

    expect(lab(['run', 'l2_multi_echo', '--detach', '-f', file]).status).toBe(0);
    const impaired = lab(['verify', '--control', '-f', file, '--json']);
    expect(impaired.status, 'the echo check fails on a lossy wire').toBe(1);
    const bad = checksOf(impaired.stdout);
    const echo = check(bad, 'echo');
    expect(echo.status).toBe('failed');
    // 5 % each way: 1 - 0.95² = 9.75 % of round trips lost; 2000 frames put 5 standard deviations at ±3.3 %.
    const loss = echo.data.lost / echo.data.sent;
    expect(loss, echo.measured).toBeGreaterThan(0.0975 - 0.033);
    expect(loss, echo.measured).toBeLessThan(0.0975 + 0.033);
    expect(check(bad, 'rss').status, 'the queues are held to what the wire delivered').toBe('passed');
    const slow = check(bad, 'latency');
    expect(slow.data.min, `no frame comes back faster than 2 × 200 µs: ${slow.measured}`).toBeGreaterThanOrEqual(400);
    expect(slow.measured).toMatch(/^RTT min [\d.]+ µs, p50/);

    const cleared = lab(['impair', 'tst.eth0', '--clear', '-f', file, '--json']);
    expect(cleared.status, cleared.stderr).toBe(0);
    const after = json<{ changed: { before: { loss: number } }; wires: Wire[] }>(cleared.stdout);
    expect(after.changed.before.loss).toBe(5);
    expect(after.wires[0]).toMatchObject({ running: true, impair: { delay_us: 0, loss: 0 } });
    expect(isAlive(first), 'the old relay is gone').toBe(false);
    const second = procRef(after.wires[0]!.pid!)!;

    const refused = lab(['impair', 'lk0', '--loss', '150', '-f', file]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('loss: must be <= 100');
    expect(isAlive(second), 'a refused change leaves the relay as it was').toBe(true);

    expect(lab(['run', 'l2_multi_echo', '--detach', '-f', file]).status).toBe(0);
    const clean = lab(['verify', '--control', '-f', file, '--json']);
    expect(clean.status, clean.stdout).toBe(0);
    // The fastest of 2000 round trips, with and without the relay's 2 × 200 µs: however fast this
    // machine's wire is, clearing the delay takes most of those 400 µs off it.
    const cleanMin = check(checksOf(clean.stdout), 'latency').data.min;
    expect(cleanMin, `without the delay: min ${cleanMin} µs, with it ${slow.data.min} µs`).toBeLessThan(
      slow.data.min - 300,
    );

    const down = lab(['down', '-f', file, '--json']);
    expect(down.status).toBe(0);
    expect(json<{ removed: string[] }>(down.stdout).removed[0]).toBe(`relay lk0 (pid ${second.pid})`);
    expect(isAlive(second)).toBe(false);
    for (const ns of ['', '-tst', '-dut']) expect(netnsExists(`lab-${name}${ns}`), `lab-${name}${ns}`).toBe(false);
  }, 180_000);

  it('a lab whose up died before it wrote its state: down finds the relay by the pidfile the relay wrote', async () => {
    const { file, name } = spec();
    expect(lab(['up', '-f', file]).status).toBe(0);
    const relay = procRef(wires(file)[0]!.pid!)!;
    rmSync(join(work, '.lab', name, 'state.json'));
    const down = lab(['down', '-f', file]);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain('relay lk0');
    expect(isAlive(relay)).toBe(false);
    expect(netnsExists(`lab-${name}`), 'nothing holds the lab namespace').toBe(false);
  }, 60_000);
});

describe('l2impair (the sanitizer build)', () => {
  // Under AddressSanitizer and UndefinedBehaviorSanitizer: any report on real traffic fails the test.
  const SAN = packagePath('native', 'build-san');
  beforeAll(async () => {
    await run(['make', '-C', packagePath('native'), 'sanitize', '-j2'], { timeoutMs: 300_000 });
  }, 300_000);

  async function pair(): Promise<{ a: string; b: string; mid: string }> {
    const tag = `li${process.pid % 100000}`;
    const [a, b, mid] = [`${tag}a`, `${tag}b`, `${tag}m`];
    cleanups.push(async () => {
      for (const ns of [a, b, mid]) await runQuiet(['ip', 'netns', 'delete', ns]);
    });
    for (const ns of [a, b, mid]) {
      await run(['ip', 'netns', 'add', ns]);
      // No IPv6 chatter: the relay's counters then hold only the test's frames.
      for (const argv of quietNamespaceCommands(ns)) await run(argv);
    }
    await run(['ip', '-n', mid, 'link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', a]);
    await run(['ip', '-n', mid, 'link', 'add', 'pb', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b]);
    for (const [ns, dev] of [
      [mid, 'pa'],
      [mid, 'pb'],
      [a, 'eth0'],
      [b, 'eth0'],
    ] as const)
      await run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    return { a, b, mid };
  }

  async function relay(mid: string, args: string[]): Promise<{ stop(): Promise<string> }> {
    const child = spawn('ip', ['netns', 'exec', mid, join(SAN, 'l2impair'), '-i', 'pa', '-i', 'pb', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    cleanups.push(async () => void child.kill('SIGKILL'));
    expect(
      await waitFor(() => out.includes('"event":"ready"') || child.exitCode !== null, { timeoutMs: 10_000 }),
      out,
    ).toBe(true);
    const ref: ProcRef = procRef(child.pid!)!;
    return {
      async stop() {
        await terminate(ref);
        await exited;
        return out;
      },
    };
  }

  it('holds a line rate: 1000-byte frames sent back to back leave 1 ms apart at 8 Mbit/s, and none is lost', async () => {
    const { a, b, mid } = await pair();
    const relayed = await relay(mid, ['--rate-mbit', '8']);
    const pcap = join(work, 'rate.pcap');
    const tcpdump = spawn(
      'ip',
      ['netns', 'exec', b, 'tcpdump', '-i', 'eth0', '--time-stamp-precision=nano', '-U', '-w', pcap, 'udp'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let heard = '';
    tcpdump.stderr.on('data', (d: Buffer) => (heard += d.toString()));
    const exited = new Promise((resolve) => tcpdump.on('exit', resolve));
    cleanups.push(async () => void tcpdump.kill('SIGKILL'));
    expect(await waitFor(() => heard.includes('listening on'), { timeoutMs: 10_000 }), heard).toBe(true);
    const mac = (
      JSON.parse((await run(['ip', '-n', b, '-j', 'link', 'show', 'eth0'])).stdout) as Array<{ address: string }>
    )[0]!.address;
    await runQuiet(
      [
        'ip',
        'netns',
        'exec',
        a,
        packagePath('native', 'build', 'l2probe'),
        '-i',
        'eth0',
        '-t',
        mac,
        '-n',
        '40',
        '-F',
        '-s',
        '1000',
        '-w',
        '100',
      ],
      { timeoutMs: 30_000 },
    );
    const captured = () => {
      try {
        return readPcap(pcap).length;
      } catch {
        return 0; // not written yet
      }
    };
    await waitFor(() => captured() >= 40, { timeoutMs: 5_000 });
    tcpdump.kill('SIGINT');
    await exited;
    const frames = readPcap(pcap);
    expect(frames.length, 'all 40 frames arrive: the queue holds 1000').toBe(40);
    const gaps = frames.slice(1).map((f, i) => Number(f.ns - frames[i]!.ns) / 1000);
    // 1000 bytes at 8 Mbit/s take 1000 µs on the line; a late wake-up can stretch a gap, never shorten the
    // schedule. The upper bound says the relay keeps to the rate rather than falling behind it: half as
    // long again is 19.5 ms of lateness over 40 wake-ups of a real-time thread.
    const total = Number(frames[frames.length - 1]!.ns - frames[0]!.ns) / 1000;
    expect(total, `39 gaps of 1000 µs: ${gaps.map((g) => g.toFixed(0)).join(' ')}`).toBeGreaterThanOrEqual(
      39 * 1000 * 0.99,
    );
    expect(total).toBeLessThan(39 * 1000 * 1.5);
    const said = await relayed.stop();
    expect(said).not.toMatch(/runtime error|AddressSanitizer|LeakSanitizer/);
    expect(said, 'its last counters: 40 in, 40 out on the far port').toMatch(
      /"event":"exit".*"iface":"pb","rx":\d+,"tx":40,"lost":0,"overflow":0/,
    );
  }, 60_000);

  it('refuses what it cannot do, with exit 2: one port, jitter above the delay, loss over 100 %', async () => {
    const bin = join(SAN, 'l2impair');
    for (const args of [
      ['-i', 'lo'],
      ['-i', 'a', '-i', 'b', '--delay-us', '10', '--jitter-us', '20'],
      ['-i', 'a', '-i', 'b', '--loss', '101'],
      ['-i', 'a', '-i', 'b', '--delay-us', '1x'],
    ]) {
      const r = await runQuiet([bin, ...args]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^l2impair: /);
    }
  });
});
