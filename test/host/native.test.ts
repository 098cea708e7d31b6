// The native apps on real packets without a VM: a veth between the lab namespace and the DUT's,
// DPDK's af_packet PMD on the DUT end, l2probe and ping on the lab end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { counterDelta } from '../../src/apps/events.js';
import { startApp, stopApp, type RunningApp } from '../../src/apps/runner.js';
import { requestCounters } from '../helpers/counters.js';
import { packagePath } from '../../src/assets.js';
import type { Lab } from '../../src/config/lab.js';
import { farEndCommands } from '../../src/wires/registry.js';
import { namespaceTarget, netnsAppArgv } from '../../src/nodes/netns/apps.js';
import { startCapture } from '../../src/host/capture.js';
import { inNamespace, run } from '../../src/host/exec.js';
import { deleteNetns, runPlan } from '../../src/host/netns.js';
import { loadLabText } from '../../src/core/load.js';
import { dpdkFilePrefix, nodeNamespace } from '../../src/layout.js';
import { portReady, readPorts, rxPerQueue } from '../../src/apps/telemetry.js';
import {
  kernelReflectorCommands,
  namespaceCommands,
  netnsNicCommands,
  staticNeighbourCommand,
  takeNicCommands,
} from '../../src/render/hostnet.js';
import { ping } from '../../src/verify/ping.js';
import { waitFor } from '../../src/host/wait.js';
import { runL2probe, runL2probeSearch } from '../../src/verify/probe.js';
import { byTime, percentile, readPcap, wireRtts } from '../helpers/pcap.js';
import { expectConsistentSearch } from '../helpers/search.js';

const BIN = packagePath('native', 'build');
const logs = mkdtempSync(join(tmpdir(), 'lab-native-'));
const HOST_CPUS = cpus().length;
let seq = 0;

beforeAll(async () => {
  await run(['make', '-C', packagePath('native'), '-j2'], { timeoutMs: 300_000 });
}, 300_000);
afterAll(() => rmSync(logs, { recursive: true, force: true }));

interface Wire {
  lab: Lab;
  labNs: string;
  nodeNs: string;
}

const wires: Wire[] = [];
const apps: RunningApp[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await stopApp(app, 5_000);
  for (const w of wires.splice(0)) {
    await deleteNetns(w.nodeNs);
    await deleteNetns(w.labNs);
  }
});

function labOf(program: string, queues: number, lcores: string, cpusCount = 4): Lab {
  const name = `t${process.pid % 100000}x${seq++}`;
  const text = `name: ${name}
nodes:
  dut:
    kind: netns
    cpus: ${cpusCount}
    nics:
      - name: dp0
        queues: ${queues}
        ip: 10.77.0.2/24
apps:
  app:
    program: ${program}
    node: dut
    nic: dp0
    lcores: "${lcores}"
`;
  return loadLabText(text, `${name}.yaml`, { force: true });
}

/** The netns tier's wire, made with the same plans `lab up` runs. */
async function wire(lab: Lab): Promise<Wire> {
  const node = lab.nodes[0]!;
  const w = { lab, labNs: `lab-${lab.name}`, nodeNs: nodeNamespace(lab.name, node.name) };
  wires.push(w);
  await runPlan([
    ...namespaceCommands(w.labNs),
    ...namespaceCommands(w.nodeNs),
    ...netnsNicCommands(w.labNs, w.nodeNs, node.nics[0]!),
    ...farEndCommands(w.labNs, node.nics[0]!),
  ]);
  return w;
}

/** Processes whose command line has this DPDK file prefix (each test's own): to see none is left. */
function leftWithPrefix(prefix: string): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(prefix);
      } catch {
        return false; // gone meanwhile
      }
    });
}

/** How startApp knows the test's app ready: its telemetry socket, by the lab's file prefix. */
function readyOf(w: Wire) {
  const app = w.lab.apps[0]!;
  return { app, filePrefix: dpdkFilePrefix(w.lab.name, app.name), timeoutMs: 30_000 };
}

async function start(w: Wire) {
  const nic = w.lab.nodes[0]!.nics[0]!;
  await runPlan([...takeNicCommands(w.nodeNs, nic), staticNeighbourCommand(w.labNs, nic.labnsIf, nic)]);
  const argv = netnsAppArgv(w.lab, w.lab.apps[0]!, [nic], BIN, HOST_CPUS).argv;
  const started = await startApp(namespaceTarget(w.nodeNs, BIN), argv, join(logs, `${w.lab.name}.log`), readyOf(w));
  apps.push(started.app);
  return started;
}

function probe(w: Wire, count: number, flows: number, dstIp = w.lab.nodes[0]!.nics[0]!.address, size = 128) {
  const nic = w.lab.nodes[0]!.nics[0]!;
  return runL2probe(inNamespace(w.labNs), join(BIN, 'l2probe'), {
    iface: nic.labnsIf,
    target: nic.mac,
    count,
    pps: 1000,
    flows,
    size,
    srcIp: nic.labns_ip,
    dstIp,
    waitMs: 1000,
  });
}

describe.each([
  { program: 'l2_echo', queues: 1, lcores: '0' },
  { program: 'l2_multi_echo', queues: 4, lcores: '0-3' },
])('$program on $queues queue(s), af_packet', ({ program, queues, lcores }) => {
  it('bypasses the kernel, echoes every frame with MACs swapped, and its counters add up', async () => {
    const w = await wire(labOf(program, queues, lcores));
    const nic = w.lab.nodes[0]!.nics[0]!;

    const before = await ping(inNamespace(w.labNs), nic.address, 3, 0.2);
    expect(before.received, 'the kernel answers before the app takes the NIC').toBe(3);

    const { app, ready } = await start(w);
    expect(ready).toMatchObject({
      event: 'ready',
      app: program,
      port: 0,
      driver: 'net_af_packet',
      queues,
      rss: queues > 1 ? 'backend' : 'none',
    });
    expect(ready.mac.toLowerCase()).toBe(nic.mac);
    expect(ready.lcores).toHaveLength(queues);

    const bypass = await ping(inNamespace(w.labNs), nic.address, 5, 0.2);
    expect(bypass.loss, 'no ping answered while the app owns the NIC').toBe(1);

    const snapshot = await requestCounters(app);
    const result = await probe(w, 2000, 32);
    expect(result).toMatchObject({ sent: 2000, received: 2000, lost: 0, bad_mac: 0, corrupted: 0, duplicates: 0 });
    expect(result.flows.every((f) => f.received === f.sent)).toBe(true);
    expect(result.rtt_us.p50).toBeGreaterThan(0);

    const stopped = await stopApp(app);
    expect(stopped.how).toBe('exited');
    const final = stopped.final!;
    const delta = counterDelta(snapshot, final);
    expect(delta).toHaveLength(queues);
    expect(
      delta.reduce((sum, q) => sum + q.rx, 0),
      'the queues together received exactly what l2probe sent',
    ).toBe(2000);
    for (const q of delta) expect(q.rx, `queue ${q.queue} received traffic`).toBeGreaterThan(0);
    for (const q of final.queues) expect(q.rx).toBe(q.tx + q.dropped + q.filtered);
    expect(final.total.rx).toBe(final.queues.reduce((s, q) => s + q.rx, 0));
  }, 120_000);
});

describe('the multiqueue pitfall', () => {
  it('l2_multi_echo on more lcores than the device has queues exits non-zero and gives the af_packet fix', async () => {
    const w = await wire(labOf('l2_multi_echo', 1, '0-1'));
    const argv = netnsAppArgv(w.lab, w.lab.apps[0]!, [w.lab.nodes[0]!.nics[0]!], BIN, HOST_CPUS).argv;
    const r = spawnSync('ip', ['netns', 'exec', w.nodeNs, ...argv], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('offers 1 RX/TX queue pair(s), but 2 lcores need 2');
    expect(r.stderr).toContain('qpairs=2');
    expect(r.stderr, 'the virtio advice is not for af_packet').not.toContain('mq=on');
    expect(r.stderr).not.toContain('Invalid argument');
  }, 60_000);

  it('through the runner, the app never gets ready and its own message is the error', async () => {
    const w = await wire(labOf('l2_multi_echo', 1, '0-1'));
    await expect(start(w)).rejects.toThrow(/exited before it was ready/);
    await expect(start(w)).rejects.toMatchObject({
      problems: [expect.objectContaining({ hint: expect.stringContaining('qpairs=2') })],
    });
  }, 60_000);
});

describe('the echo apps', () => {
  it('give queue q to the lcore with index q in the -l list, in the ready line and in the counters', async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '1,0'));
    const { app, ready } = await start(w);
    expect(ready.lcores, 'queue 0 runs on lcore 1').toEqual([1, 0]);
    expect(ready.link).toBe('up');
    await probe(w, 200, 16);
    const counters = await requestCounters(app);
    expect(counters.queues.map((q) => [q.queue, q.lcore])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  }, 60_000);

  it('answer SIGUSR1 when the main lcore polls no queue', async () => {
    const w = await wire(labOf('l2_echo', 1, '0,1'));
    const nic = w.lab.nodes[0]!.nics[0]!;
    await runPlan([...takeNicCommands(w.nodeNs, nic), staticNeighbourCommand(w.labNs, nic.labnsIf, nic)]);
    const argv = netnsAppArgv(w.lab, w.lab.apps[0]!, [nic], BIN, HOST_CPUS).argv;
    // lcore 1 is the main lcore; the one queue goes to lcore 0, first in -l.
    argv.splice(argv.indexOf('--'), 0, '--main-lcore', '1');
    const { app, ready } = await startApp(
      namespaceTarget(w.nodeNs, BIN),
      argv,
      join(logs, `${w.lab.name}.log`),
      readyOf(w),
    );
    apps.push(app);
    expect(ready.lcores).toEqual([0]);
    expect((await probe(w, 100, 4)).received).toBe(100);
    const counters = await requestCounters(app);
    expect(counters.queues).toEqual([expect.objectContaining({ queue: 0, lcore: 0, rx: 100, tx: 100 })]);
  }, 60_000);

  it('count frames to a group address and never echo them (the echo would carry it as its source)', async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '0-1'));
    const nic = w.lab.nodes[0]!.nics[0]!;
    const { app } = await start(w);
    const before = await requestCounters(app);
    for (const group of ['ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01']) {
      const r = await runL2probe(inNamespace(w.labNs), join(BIN, 'l2probe'), {
        iface: nic.labnsIf,
        target: group,
        count: 50,
        pps: 1000,
        flows: 4,
        size: 128,
        srcIp: nic.labns_ip,
        dstIp: nic.address,
        waitMs: 500,
      });
      expect(r, `nothing sent to ${group} comes back`).toMatchObject({ sent: 50, received: 0 });
    }
    const delta = counterDelta(before, await requestCounters(app));
    expect(delta.reduce((s, q) => s + q.filtered, 0)).toBe(100);
    expect(delta.reduce((s, q) => s + q.tx, 0)).toBe(0);
    expect((await probe(w, 100, 4)).received, 'unicast frames are still echoed').toBe(100);
  }, 60_000);

  it("tell DPDK's telemetry what they tell lab: the port started with link up, and each queue's count", async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '0-1'));
    const { app } = await start(w);
    const target = namespaceTarget(w.nodeNs, BIN);
    const prefix = dpdkFilePrefix(w.lab.name, w.lab.apps[0]!.name);
    const before = await readPorts(target, prefix);
    const countersBefore = await requestCounters(app);
    expect((await probe(w, 200, 16)).received).toBe(200);
    const [port] = await readPorts(target, prefix);
    const own = counterDelta(countersBefore, await requestCounters(app));
    expect(port!.port).toBe(0);
    expect(portReady(port!), JSON.stringify(port)).toBe(true);
    expect(port!.info.nb_rx_queues).toBe(2);
    const rx = rxPerQueue(port!).map((n, q) => n - rxPerQueue(before[0]!)[q]!);
    // The same frames, counted by the PMD (telemetry) and by the app's lcores (its JSON line).
    expect(rx).toEqual(own.map((q) => q.rx));
    expect(rx.reduce((a, b) => a + b, 0)).toBe(200);
  }, 60_000);

  it('without telemetry (--no-telemetry), lab says which EAL flag took it away', async () => {
    const w = await wire(labOf('l2_echo', 1, '0'));
    const nic = w.lab.nodes[0]!.nics[0]!;
    await runPlan([...takeNicCommands(w.nodeNs, nic), staticNeighbourCommand(w.labNs, nic.labnsIf, nic)]);
    const argv = netnsAppArgv(w.lab, w.lab.apps[0]!, [nic], BIN, HOST_CPUS).argv;
    argv.splice(argv.indexOf('--'), 0, '--no-telemetry');
    const log = join(logs, `${w.lab.name}.log`);
    const started = startApp(namespaceTarget(w.nodeNs, BIN), argv, log, { ...readyOf(w), timeoutMs: 5_000 });
    await expect(started).rejects.toThrow(/no telemetry socket.*\n.*--no-telemetry/s);
    // It ran (its own ready line is there), and was stopped when lab found no telemetry: no process
    // with its file prefix, which is this test's alone, is left.
    expect(readFileSync(log, 'utf8')).toMatch(/"event":"ready"/);
    expect(leftWithPrefix(dpdkFilePrefix(w.lab.name, w.lab.apps[0]!.name))).toEqual([]);
  }, 60_000);

  it('an app lab did not write that never starts its port: a timeout that says what its telemetry said, and the app stopped', async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '0-1')); // testpmd: a main lcore and one to forward
    const nic = w.lab.nodes[0]!.nics[0]!;
    await runPlan(takeNicCommands(w.nodeNs, nic));
    const argv = netnsAppArgv(w.lab, w.lab.apps[0]!, [nic], BIN, HOST_CPUS).argv;
    argv[0] = 'dpdk-testpmd';
    argv.splice(
      argv.indexOf('--') + 1,
      Infinity,
      '--disable-device-start',
      '--stats-period=60',
      '--total-num-mbufs=8192',
    );
    const custom = { ...w.lab.apps[0]!, program: 'custom' as const };
    const log = join(logs, `${w.lab.name}-never.log`);
    await expect(
      startApp(namespaceTarget(w.nodeNs, BIN), argv, log, { ...readyOf(w), app: custom, timeoutMs: 5_000 }),
    ).rejects.toThrow(/the app.s port was not started with link up within 5 s .*its telemetry: port 0 not started/);
    expect(leftWithPrefix(dpdkFilePrefix(w.lab.name, custom.name))).toEqual([]);
  }, 60_000);

  it('answer --help on stdout with exit 0', () => {
    const r = spawnSync(
      join(BIN, 'l2_echo'),
      [
        '--no-huge',
        '-m',
        '64',
        '--no-pci',
        '-l',
        '0',
        '--file-prefix',
        `help${process.pid}`,
        '--vdev',
        'net_null0',
        '--',
        '--help',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: l2_echo /);
  }, 30_000);

  it('build with the warnings as errors even when make is given its own CFLAGS', () => {
    const r = spawnSync('make', ['-C', packagePath('native'), '-n', '-B', 'CFLAGS=-O0'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const compiles = r.stdout.split('\n').filter((l) => /^cc |^gcc /.test(l));
    expect(compiles.length).toBeGreaterThan(0);
    for (const line of compiles) expect(line).toContain('-std=gnu11 -Wall -Wextra -Werror');
  });
});

describe('the echo apps under AddressSanitizer and UndefinedBehaviorSanitizer', () => {
  const SAN = packagePath('native', 'build-san');
  beforeAll(async () => {
    await run(['make', '-C', packagePath('native'), 'sanitize', '-j2'], { timeoutMs: 300_000 });
  }, 300_000);

  it.each(['l2_echo', 'l2_multi_echo'])(
    '%s echoes real traffic, filters group frames and exits cleanly with no report',
    async (program) => {
      const w = await wire(labOf(program, program === 'l2_echo' ? 1 : 2, program === 'l2_echo' ? '0' : '0-1'));
      const nic = w.lab.nodes[0]!.nics[0]!;
      await runPlan([...takeNicCommands(w.nodeNs, nic), staticNeighbourCommand(w.labNs, nic.labnsIf, nic)]);
      const log = join(logs, `${w.lab.name}-san.log`);
      const { app } = await startApp(
        namespaceTarget(w.nodeNs, BIN),
        netnsAppArgv(w.lab, w.lab.apps[0]!, [nic], SAN, HOST_CPUS).argv,
        log,
        { ...readyOf(w), timeoutMs: 60_000 },
      );
      // Stopped by afterEach too, should an assertion below fail first.
      apps.push(app);
      // l2probe from the sanitizer build too: a misaligned header access there fails the run.
      const sanProbe = await runL2probe(inNamespace(w.labNs), join(SAN, 'l2probe'), {
        iface: nic.labnsIf,
        target: nic.mac,
        count: 1000,
        pps: 1000,
        flows: 16,
        size: 128,
        srcIp: nic.labns_ip,
        dstIp: nic.address,
        waitMs: 1000,
      });
      expect(sanProbe).toMatchObject({ sent: 1000, received: 1000, corrupted: 0, bad_mac: 0 });
      await runL2probe(inNamespace(w.labNs), join(SAN, 'l2probe'), {
        iface: nic.labnsIf,
        target: 'ff:ff:ff:ff:ff:ff',
        count: 20,
        pps: 1000,
        flows: 2,
        size: 64,
        srcIp: nic.labns_ip,
        dstIp: nic.address,
        waitMs: 300,
      });
      const stopped = await stopApp(app);
      expect(stopped.how).toBe('exited');
      expect(stopped.final!.total).toMatchObject({ tx: 1000, filtered: 20 });
      expect(readFileSync(log, 'utf8')).not.toMatch(/runtime error|AddressSanitizer|LeakSanitizer/);
    },
    120_000,
  );
});

describe('l2probe', () => {
  it("gets every frame back from the kernel's own forwarding: its frames are valid IP, even at 64 bytes", async () => {
    const w = await wire(labOf('l2_echo', 1, '0'));
    const nic = w.lab.nodes[0]!.nics[0]!;
    const hostMac = (
      await run(['ip', 'netns', 'exec', w.labNs, 'cat', `/sys/class/net/${nic.labnsIf}/address`])
    ).stdout.trim();
    await runPlan([
      ...kernelReflectorCommands(w.nodeNs, nic, hostMac, '10.77.1.0/24'),
      staticNeighbourCommand(w.labNs, nic.labnsIf, nic),
    ]);
    const nicOf = w.lab.nodes[0]!.nics[0]!;
    const routed = (on: boolean) =>
      runL2probe(inNamespace(w.labNs), join(BIN, 'l2probe'), {
        iface: nicOf.labnsIf,
        target: nicOf.mac,
        count: 500,
        pps: 1000,
        flows: 8,
        size: 64,
        srcIp: nicOf.labns_ip,
        dstIp: '10.77.1.1',
        waitMs: 1000,
        routed: on,
      });
    expect(await routed(true)).toMatchObject({ sent: 500, received: 500, bad_mac: 0, corrupted: 0, frame_size: 64 });
    // Without --routed, a lowered TTL is a changed byte after the MACs: every byte is compared.
    expect(await routed(false)).toMatchObject({ sent: 500, received: 0, corrupted: 500 });
  }, 60_000);

  it("counts a second prober's frames on the same wire as foreign, and its own figures stay exact", async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '0-1'));
    await start(w);
    // Both send to the app at once from the same interface, so each also receives the other's echoes.
    const [a, b] = await Promise.all([probe(w, 1500, 16), probe(w, 1500, 16)]);
    for (const r of [a, b]) {
      expect(r).toMatchObject({ sent: 1500, received: 1500, lost: 0, corrupted: 0, duplicates: 0, bad_mac: 0 });
      expect(r.foreign, "the other prober's echoes, told apart by their nonce").toBeGreaterThan(0);
    }
  }, 60_000);

  it('refuses a duration that is not a plain positive number of seconds', () => {
    for (const d of ['nan', '1x', 'inf', '-1', '0', '']) {
      const r = spawnSync(join(BIN, 'l2probe'), ['-i', 'lo', '-t', '52:54:00:00:00:01', '-d', d], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(r.status, `-d '${d}'`).toBe(2);
      expect(r.stderr).toContain('invalid value for -d');
    }
  });

  /*
   * Which instants each side stamps, on a veth (drivers/net/veth.c, net/core/dev.c):
   * - l2probe's send time is the driver's software TX stamp: skb_tx_timestamp() in veth_xmit(),
   *   read back from the socket's error queue. Its receive time is the stamp netif_rx() puts on the
   *   echo (net_timestamp_check, with netdev_tstamp_prequeue=1) as the DUT end's veth_xmit() hands
   *   it to the tester's end.
   * - A capture on the tester's interface stamps an outgoing frame in dev_queue_xmit_nit(), when
   *   the frame is handed to the packet taps, just before the driver runs: earlier than l2probe's.
   * - A capture of what the DUT's end receives stamps the request in netif_rx(), inside the very
   *   veth_xmit() call that took l2probe's stamp, just after it (after the stamp is queued on the
   *   error queue, which wakes l2probe's receiver, and after __dev_forward_skb()): later.
   * - Every capture of an echo received on the tester's end reads the same skb->tstamp as l2probe.
   * So for every frame, on one CPU's clock: captured send ≤ l2probe's send ≤ captured arrival at the
   * DUT, and the three receive stamps are one. l2probe's RTT lies between the capture that starts
   * at the taps (the upper reference) and the capture that starts at the DUT's end (the lower one),
   * and so do its percentiles, whatever the machine's speed or load. The gap between the two
   * references is the kernel's own work between their stamps (the taps, and the wake-up of l2probe's
   * receiver: a few µs, more under load). The limits are the references themselves, widened only by
   * l2probe's rounding: a histogram bucket reported at its middle (half a bucket is at most 1/2048
   * of the value) and printed to 0.1 µs. A stamp taken in user space, or paired with the wrong
   * frame, falls outside.
   */
  it("reports the wire's own RTT: p50 and p99 between captures that stamp just before and just after l2probe's own stamps", async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '0-1'));
    const nic = w.lab.nodes[0]!.nics[0]!;
    await start(w);
    const tester = (
      await run(['ip', 'netns', 'exec', w.labNs, 'cat', `/sys/class/net/${nic.labnsIf}/address`])
    ).stdout.trim();
    const atTester = await startCapture(w.labNs, nic.labnsIf, join(logs, `${w.lab.name}-tester.pcap`));
    const atDut = await startCapture(w.nodeNs, nic.name, join(logs, `${w.lab.name}-dut.pcap`), { inboundOnly: true });
    let result;
    try {
      result = await probe(w, 2000, 16);
      // Not tcpdump's immediate mode: waking it per frame would run in the very paths it times. The
      // kernel hands over its buffered block within a second: wait for every frame on each side.
      await waitFor(() => readPcap(atTester.file).length >= 4000 && readPcap(atDut.file).length >= 2000, {
        timeoutMs: 10_000,
        everyMs: 200,
      });
    } finally {
      await Promise.all([atTester.stop(), atDut.stop()]);
    }
    expect(result.timestamps, "every echo timed by the kernel's stamps").toEqual({ rx_kernel: 2000, tx_kernel: 2000 });
    const testerFrames = readPcap(atTester.file);
    const echoes = testerFrames.filter((f) =>
      f.data.subarray(6, 12).equals(Buffer.from(nic.mac.replaceAll(':', ''), 'hex')),
    );
    const upper = wireRtts(testerFrames, tester, nic.mac);
    const lower = wireRtts(byTime([...readPcap(atDut.file), ...echoes]), tester, nic.mac);
    expect([upper.length, lower.length], 'the captures saw every request and every echo').toEqual([2000, 2000]);
    for (const q of [0.5, 0.99]) {
      const [low, high, got] = [
        percentile(lower, q),
        percentile(upper, q),
        q === 0.5 ? result.rtt_us.p50 : result.rtt_us.p99,
      ];
      const rounding = high / 2048 + 0.05;
      console.log(
        `RTT p${q * 100}: captured at the DUT's end ${low.toFixed(3)} µs ≤ l2probe ${got} µs ≤ captured at the taps ${high.toFixed(3)} µs`,
      );
      expect(got, `p${q * 100}: l2probe ${got} µs, not below the capture at the DUT's end`).toBeGreaterThanOrEqual(
        low - rounding,
      );
      expect(got, `p${q * 100}: l2probe ${got} µs, not above the capture at the taps`).toBeLessThanOrEqual(
        high + rounding,
      );
    }
  }, 60_000);

  it('gets every frame back byte-identical after the MACs, from the smallest frame to 1514 bytes', async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '0-1'));
    await start(w);
    // l2probe compares every byte after the MACs (headers, ports per flow, lengths, nonce, sequence, stamp, payload).
    for (const size of [60, 64, 65, 256, 1000, 1514]) {
      const r = await probe(w, 300, 16, undefined, size);
      expect(r, `${size}-byte frames`).toMatchObject({
        frame_size: size,
        sent: 300,
        received: 300,
        corrupted: 0,
        bad_mac: 0,
      });
    }
  }, 60_000);

  it('finds the zero-loss rate by binary search: a flood, then halvings, every trial judged by its loss', async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '0-1'));
    const nic = w.lab.nodes[0]!.nics[0]!;
    await start(w);
    const r = await runL2probeSearch(inNamespace(w.labNs), join(BIN, 'l2probe'), {
      iface: nic.labnsIf,
      target: nic.mac,
      flows: 16,
      size: 60,
      srcIp: nic.labns_ip,
      dstIp: nic.address,
      trialS: 0.3,
      lossPct: 0,
      waitMs: 300,
      precisionPct: 10,
    });
    expect(r.search).toMatchObject({ frame_size: 60, min_pps: 1000, loss_tolerance_pct: 0 });
    expect(r.search.trials[0], 'the upper bound is what a flood offers').toMatchObject({ flood: true, offered_pps: 0 });
    expect(r.search.max_pps).toBe(r.search.trials[0]!.sent_pps);
    expectConsistentSearch(r.search.rate_pps, r.search.trials);
    expect(r.search.rate_pps, 'an idle echo on its own wire takes 1000 pps without loss').toBeGreaterThanOrEqual(1000);
    expect(r.at_rate).toMatchObject({ lost: 0, corrupted: 0, bad_mac: 0 });
    expect(r.at_rate!.received).toBeGreaterThan(0);
  }, 120_000);

  it('finds no rate on a silent wire: every trial failed by loss, down to the lower bound', async () => {
    const w = await wire(labOf('l2_echo', 1, '0'));
    const nic = w.lab.nodes[0]!.nics[0]!;
    const r = await runL2probeSearch(inNamespace(w.labNs), join(BIN, 'l2probe'), {
      iface: nic.labnsIf,
      target: nic.mac,
      flows: 4,
      size: 60,
      srcIp: nic.labns_ip,
      dstIp: nic.address,
      trialS: 0.2,
      lossPct: 0,
      waitMs: 100,
      minPps: 1000,
      maxPps: 4000,
      precisionPct: 30,
    });
    expect(r.search).toMatchObject({ rate_pps: 0, limited_by: 'dut', max_pps: 4000 });
    expect(r.search.trials.map((t) => t.offered_pps)).toEqual([4000, 2500, 1750, 1000]);
    expect(r.search.trials.every((t) => t.failed_by === 'loss' && t.received === 0)).toBe(true);
    expect(r.at_rate).toBeNull();
    expectConsistentSearch(0, r.search.trials);
  }, 60_000);

  it("shares one run between sending threads: every sequence number sent once, every flow's count exact", async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '0-1'));
    const nic = w.lab.nodes[0]!.nics[0]!;
    await start(w);
    const r = await runL2probe(inNamespace(w.labNs), join(BIN, 'l2probe'), {
      iface: nic.labnsIf,
      target: nic.mac,
      count: 2000,
      pps: 2000,
      threads: 2,
      flows: 16,
      size: 64,
      srcIp: nic.labns_ip,
      dstIp: nic.address,
      waitMs: 1000,
    });
    expect(r).toMatchObject({ sent: 2000, received: 2000, lost: 0, duplicates: 0, corrupted: 0 });
    expect(
      r.flows.map((f) => f.sent),
      'frame seq belongs to flow seq % 16',
    ).toEqual(Array(16).fill(125));
    expect(r.flows.map((f) => f.received)).toEqual(Array(16).fill(125));
  }, 60_000);

  it('keeps its memory fixed however long it runs', async () => {
    const w = await wire(labOf('l2_multi_echo', 2, '0-1'));
    const nic = w.lab.nodes[0]!.nics[0]!;
    await start(w);
    // The largest resident size of the finished child, from the kernel's own accounting.
    const peakKb = (secs: number) => {
      const script = `import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)`;
      const r = spawnSync(
        'python3',
        [
          '-c',
          script,
          'ip',
          'netns',
          'exec',
          w.labNs,
          join(BIN, 'l2probe'),
          '-i',
          nic.labnsIf,
          '-t',
          nic.mac,
          '-F',
          '-d',
          String(secs),
          '-s',
          '60',
          '-w',
          '200',
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      return Number(r.stdout.trim());
    };
    const short = peakKb(0.5);
    const long = peakKb(4);
    // Before, every frame sent kept 13 bytes until the end: 4 s of flood is over a million frames.
    expect(long - short, `peak ${short} kB after 0.5 s, ${long} kB after 4 s`).toBeLessThan(4096);
  }, 60_000);

  it('counts a silent wire as loss, not as success', async () => {
    const w = await wire(labOf('l2_echo', 1, '0'));
    const result = await probe(w, 100, 4);
    expect(result).toMatchObject({ sent: 100, received: 0, lost: 100 });
  }, 60_000);
});
