// npm run bench:native — echoed Mpps and RTT for l2_multi_echo, dpdk-testpmd macswap and the
// kernel, on one veth/af_packet wire with the same queues and cores. Prints figures; asserts nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, stopApp } from '../apps/runner.js';
import { NATIVE_BUILD } from '../assets.js';
import { Steps } from '../commands/steps.js';
import type { AppHost } from '../drivers/node.js';
import { openDrivers } from '../drivers/registry.js';
import { run, spawnDetached } from '../host/exec.js';
import { runPlan } from '../host/netns.js';
import { isAlive, terminate } from '../host/process.js';
import { waitFor } from '../host/wait.js';
import { labDown } from '../lab/down.js';
import { loadLab } from '../lab/load.js';
import { labUp } from '../lab/up.js';
import { nodeNamespace } from '../layout.js';
import { quiet } from '../progress.js';
import { kernelReflectorCommands, staticNeighbourCommand } from '../render/hostnet.js';
import { runL2probe, type L2ProbeResult } from '../verify/probe.js';

const QUEUES = Number(process.env.BENCH_QUEUES ?? 2);
const FLOWS = 32;
const LATENCY = { count: 3000, pps: 1000 };
const FLOOD_S = Number(process.env.BENCH_FLOOD_S ?? 3);
/** Two cores are shared by the pollers and l2probe, so single runs are noisy: each figure is the median of ROUNDS. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Row {
  dut: string;
  flood: L2ProbeResult;
  latency: L2ProbeResult;
}

const work = mkdtempSync(join(tmpdir(), 'lab-bench-'));
const specFile = join(work, 'bench.yaml');
writeFileSync(specFile, `name: bench
vms:
  dut:
    driver: netns
    cpus: ${Math.max(QUEUES, cpus().length)}
    nics:
      - { name: dp0, queues: ${QUEUES}, ip: 10.12.0.2/24 }
apps:
  ours:
    program: l2_multi_echo
    vm: dut
    nic: dp0
    lcores: 0-${QUEUES - 1}
`);
const lab = loadLab(specFile);
const vm = lab.vms[0]!;
const nic = vm.nics[0]!;
const drivers = openDrivers(lab, quiet);
const labNs = drivers.session.paths.netns;
const vmNs = nodeNamespace(lab.name, vm.name);

function probe(extra: { count?: number; pps?: number; flood?: boolean; durationS?: number; dstIp?: string }): Promise<L2ProbeResult> {
  return runL2probe(labNs, join(NATIVE_BUILD, 'l2probe'), { iface: nic.hostIf, target: nic.mac, flows: FLOWS, size: 64, srcIp: nic.host_ip, dstIp: nic.address, waitMs: 1000, ...extra });
}

async function measure(dut: string, dstIp?: string): Promise<Row> {
  const rounds: Array<Omit<Row, 'dut'>> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const latency = await probe({ ...LATENCY, ...(dstIp ? { dstIp } : {}) });
    const flood = await probe({ flood: true, durationS: FLOOD_S, ...(dstIp ? { dstIp } : {}) });
    rounds.push({ latency, flood });
  }
  const byEcho = [...rounds].sort((a, b) => a.flood.pps.echoed - b.flood.pps.echoed);
  const byP99 = [...rounds].sort((a, b) => a.latency.rtt_us.p99 - b.latency.rtt_us.p99);
  const mid = Math.floor(ROUNDS / 2);
  return { dut, flood: byEcho[mid]!.flood, latency: byP99[mid]!.latency };
}

/** The DUT node's app host: the same take and give `lab run` uses. */
function host(): Promise<AppHost> {
  return drivers.of(vm.driver).openAppHost(vm, undefined);
}

async function ours(): Promise<Row> {
  const h = await host();
  await h.take(nic);
  const { app } = await startApp(h.target, h.argv(lab.apps[0]!, nic, {}), join(work, 'ours.log'));
  try {
    return await measure(`l2_multi_echo (${QUEUES} queues)`);
  } finally {
    await stopApp(app);
    await h.give(nic);
  }
}

/** testpmd needs a main lcore besides its forwarding ones; it shares CPU 0, where it mostly sleeps. */
async function testpmd(): Promise<Row> {
  const h = await host();
  await h.take(nic);
  const log = join(work, 'testpmd.log');
  const hostCpus = cpus().length;
  const lcores = ['0@0', ...Array.from({ length: QUEUES }, (_, i) => `${i + 1}@${i % hostCpus}`)].join(',');
  const ref = spawnDetached(['ip', 'netns', 'exec', vmNs, 'dpdk-testpmd', '--lcores', lcores, '--no-huge', '-m', '256', '--no-pci',
    '--file-prefix', 'lab-bench-testpmd', '--vdev', `net_af_packet0,iface=${nic.name},qpairs=${QUEUES}`, '--',
    '--forward-mode=macswap', `--rxq=${QUEUES}`, `--txq=${QUEUES}`, `--nb-cores=${QUEUES}`, '--auto-start', '--stats-period=1', '--total-num-mbufs=8192'], log);
  try {
    const started = await waitFor(() => readFileSync(log, 'utf8').includes('Port statistics') || !isAlive(ref), { timeoutMs: 30_000 });
    if (!started || !isAlive(ref)) throw new Error(`dpdk-testpmd did not start:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    return await measure(`dpdk-testpmd macswap (${QUEUES} queues)`);
  } finally {
    await terminate(ref);
    await h.give(nic);
  }
}

/** The kernel's own forwarding turns a frame around too, with the MACs swapped. */
async function kernel(): Promise<Row> {
  const hostMac = (await run(['ip', 'netns', 'exec', labNs, 'cat', `/sys/class/net/${nic.hostIf}/address`])).stdout.trim();
  await runPlan([...kernelReflectorCommands(vmNs, nic, hostMac, '10.12.1.0/24'), staticNeighbourCommand(labNs, nic)]);
  return measure('kernel forwarding (floor)', '10.12.1.1');
}

function table(rows: Row[]): string {
  const mpps = (x: number) => (x / 1e6).toFixed(3);
  const header = ['DUT', 'flood: offered Mpps', 'echoed Mpps', 'loss %', `RTT p50 µs @${LATENCY.pps}pps`, 'RTT p99 µs', 'loss'];
  const lines = rows.map((r) => [
    r.dut, mpps(r.flood.pps.sent), mpps(r.flood.pps.echoed), ((100 * r.flood.lost) / Math.max(1, r.flood.sent)).toFixed(2),
    r.latency.rtt_us.p50.toFixed(1), r.latency.rtt_us.p99.toFixed(1), `${r.latency.lost}/${r.latency.sent}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

async function main(): Promise<void> {
  const steps = new Steps();
  const rows: Row[] = [];
  try {
    await labUp(lab, quiet);
    rows.push(await steps.step('l2_multi_echo', ours));
    rows.push(await steps.step('dpdk-testpmd macswap', testpmd));
    rows.push(await steps.step('kernel forwarding', kernel));
  } finally {
    await labDown(lab, true);
    rmSync(work, { recursive: true, force: true });
  }
  const [o, t] = rows;
  console.log(`\nveth + af_packet, ${QUEUES} queues, ${FLOWS} flows, 64-byte frames, ${cpus().length} host CPUs shared by DUT and l2probe; median of ${ROUNDS} rounds (flood ${FLOOD_S} s; latency ${LATENCY.count} frames at ${LATENCY.pps} pps)`);
  console.log(table(rows));
  console.log(`\nours/testpmd: echoed Mpps ${(o!.flood.pps.echoed / t!.flood.pps.echoed).toFixed(2)}×, RTT p50 ${(o!.latency.rtt_us.p50 / t!.latency.rtt_us.p50).toFixed(2)}× (lower is better), RTT p99 ${(o!.latency.rtt_us.p99 / t!.latency.rtt_us.p99).toFixed(2)}×`);
}

await main();
