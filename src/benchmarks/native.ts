// npm run bench:native — echoed Mpps and RTT for l2_multi_echo, dpdk-testpmd macswap and the
// kernel, on one veth/af_packet wire with the same queues, cores and number of polling threads,
// in interleaved rounds; and how fast l2probe's flood offers frames next to testpmd's txonly
// generator, both measured by the DUT's own counters. Prints figures; asserts nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, stopApp } from '../apps/runner.js';
import { nativeBuildDir } from '../host/native-build.js';
import { table } from '../commands/output.js';
import { Steps } from '../commands/steps.js';
import type { AppHost } from '../nodes/node.js';
import { openContext } from '../nodes/registry.js';
import { inNamespace, run, spawnDetached } from '../host/exec.js';
import { runPlan } from '../host/netns.js';
import { isAlive, terminate, type ProcRef } from '../host/process.js';
import { sleep, waitFor } from '../host/wait.js';
import { labDown } from '../core/down.js';
import { loadLab } from '../core/load.js';
import { labUp } from '../core/up.js';
import { dpdkFilePrefix, nodeNamespace } from '../layout.js';
import { quiet } from '../progress.js';
import { kernelReflectorCommands, kernelReflectorUndoCommands, staticNeighbourCommand } from '../render/hostnet.js';
import { runL2probe, type L2ProbeOptions, type L2ProbeResult } from '../verify/probe.js';

const QUEUES = Number(process.env.BENCH_QUEUES ?? 2);
const FLOWS = 32;
const LATENCY = { count: 3000, pps: 1000 };
const FLOOD_S = Number(process.env.BENCH_FLOOD_S ?? 3);
/** Two cores are shared by the pollers and the prober, so single runs are noisy: every figure is a median over ROUNDS, with its range. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REFLECTED = { net: '10.12.1.0/24', ip: '10.12.1.1' };

const work = mkdtempSync(join(tmpdir(), 'lab-bench-'));
const specFile = join(work, 'bench.yaml');
writeFileSync(
  specFile,
  `name: bench
nodes:
  dut:
    driver: netns
    cpus: ${Math.max(QUEUES, cpus().length)}
    nics:
      - { name: dp0, queues: ${QUEUES}, ip: 10.12.0.2/24 }
apps:
  ours:
    program: l2_multi_echo
    node: dut
    nic: dp0
    lcores: 0-${QUEUES - 1}
`,
);
const lab = loadLab(specFile);
const node = lab.nodes[0]!;
const nic = node.nics[0]!;
const ctx = openContext(lab, quiet);
const labNs = ctx.session.paths.netns;
const nodeNs = nodeNamespace(lab.name, node.name);
const hostCpus = cpus().length;

function probe(extra: Partial<L2ProbeOptions>): Promise<L2ProbeResult> {
  return runL2probe(inNamespace(labNs), join(nativeBuildDir(), 'l2probe'), {
    iface: nic.labnsIf,
    target: nic.mac,
    flows: FLOWS,
    size: 64,
    srcIp: nic.labns_ip,
    dstIp: nic.address,
    waitMs: 1000,
    ...extra,
  });
}

/** The DUT node's app host: the same take and give `lab run` uses. */
function host(): Promise<AppHost> {
  return ctx.of(node.kind).openAppHost(node, undefined);
}

/** A DUT running on the wire: where to send so it turns frames around, and how to end it. */
interface Running {
  dstIp: string;
  /** The DUT routes (lowers the TTL) rather than echoing at layer 2. */
  routed?: boolean;
  stop(): Promise<void>;
}

interface Dut {
  name: string;
  start(): Promise<Running>;
}

/** Starts dpdk-testpmd in `netns` and returns once it forwards; `args` follow its `--`. */
async function startTestpmd(
  netns: string,
  iface: string,
  lcores: string,
  prefix: string,
  queues: number,
  args: string[],
): Promise<ProcRef> {
  const log = join(work, `${prefix}.log`);
  const ref = spawnDetached(
    [
      'ip',
      'netns',
      'exec',
      netns,
      'dpdk-testpmd',
      '--lcores',
      lcores,
      '--no-huge',
      '-m',
      '256',
      '--no-pci',
      '--file-prefix',
      prefix,
      '--vdev',
      `net_af_packet0,iface=${iface},qpairs=${queues}`,
      '--',
      `--rxq=${queues}`,
      `--txq=${queues}`,
      '--auto-start',
      '--stats-period=1',
      '--total-num-mbufs=8192',
      ...args,
    ],
    log,
  );
  const started = await waitFor(() => readFileSync(log, 'utf8').includes('Port statistics') || !isAlive(ref), {
    timeoutMs: 30_000,
  });
  if (!started || !isAlive(ref))
    throw new Error(`dpdk-testpmd did not start:\n${readFileSync(log, 'utf8').slice(-2000)}`);
  return ref;
}

/** l2_multi_echo polls on every lcore it is given: QUEUES lcores, one per CPU. */
const ours: Dut = {
  name: `l2_multi_echo (${QUEUES} pollers)`,
  async start() {
    const h = await host();
    await h.take(nic);
    const { app } = await startApp(h.target, h.launch(lab.apps[0]!, [nic], [{}]).argv, join(work, 'ours.log'), {
      app: lab.apps[0]!,
      filePrefix: dpdkFilePrefix(lab.name, lab.apps[0]!.name),
    });
    return {
      dstIp: nic.address,
      stop: async () => {
        await stopApp(app);
        await h.give(nic);
      },
    };
  },
};

/**
 * testpmd's main lcore forwards nothing (it prints stats and sleeps), so it gets QUEUES forwarding
 * lcores on the same CPUs as ours, plus its main lcore on CPU 0: the same number of polling threads.
 */
const testpmd: Dut = {
  name: `dpdk-testpmd macswap (${QUEUES} pollers)`,
  async start() {
    const h = await host();
    await h.take(nic);
    const lcores = ['0@0', ...Array.from({ length: QUEUES }, (_, i) => `${i + 1}@${i % hostCpus}`)].join(',');
    const ref = await startTestpmd(nodeNs, nic.name, lcores, 'lab-bench-testpmd', QUEUES, [
      '--forward-mode=macswap',
      `--nb-cores=${QUEUES}`,
    ]);
    return {
      dstIp: nic.address,
      stop: async () => {
        await terminate(ref);
        await h.give(nic);
      },
    };
  },
};

/** The kernel's own forwarding turns a frame around too, with the MACs swapped: the floor. */
const kernel: Dut = {
  name: 'kernel forwarding (floor)',
  async start() {
    const hostMac = (
      await run(['ip', 'netns', 'exec', labNs, 'cat', `/sys/class/net/${nic.labnsIf}/address`])
    ).stdout.trim();
    await runPlan([
      ...kernelReflectorCommands(nodeNs, nic, hostMac, REFLECTED.net),
      staticNeighbourCommand(labNs, nic.labnsIf, nic),
    ]);
    // Undone after each round, so the kernel forwards nothing while a DPDK DUT runs.
    const stop = () => runPlan(kernelReflectorUndoCommands(nodeNs, REFLECTED.net));
    return { dstIp: REFLECTED.ip, routed: true, stop };
  },
};

interface Round {
  flood: L2ProbeResult;
  latency: L2ProbeResult;
}

/**
 * The generators, both measured by what reaches the far end of the wire per second while each
 * sends 64-byte frames there. No app polls that end, so the figure is what the generator offers,
 * not what a DUT sharing its CPUs can take. The NIC is taken from the kernel as for a DUT (no
 * address): otherwise the far end's UDP stack answers every frame with an ICMP error, in the
 * sender's own softirq, and the figure would be that. Each generator is measured with one sending
 * thread and with one per CPU: l2probe's sending threads against txonly's generating lcores, each
 * on its own queue.
 */
interface GeneratorRound {
  l2probe: Map<number, number>;
  txonly: Map<number, number>;
}

const SENDERS = [...new Set([1, hostCpus])];

/** Frames the DUT's end of the wire has received, from the kernel's own counters. */
async function wireRx(): Promise<number> {
  const r = await run(['ip', '-n', nodeNs, '-j', '-s', 'link', 'show', nic.name]);
  return (JSON.parse(r.stdout) as Array<{ stats64: { rx: { packets: number } } }>)[0]!.stats64.rx.packets;
}

async function generators(): Promise<GeneratorRound> {
  const round: GeneratorRound = { l2probe: new Map(), txonly: new Map() };
  const h = await host();
  await h.take(nic);
  try {
    await generatorRounds(round);
  } finally {
    await h.give(nic);
  }
  return round;
}

async function generatorRounds(round: GeneratorRound): Promise<void> {
  for (const k of SENDERS) {
    let before = await wireRx();
    await probe({ flood: true, durationS: FLOOD_S, threads: k });
    round.l2probe.set(k, ((await wireRx()) - before) / FLOOD_S);
    // txonly's main lcore only prints: k generating lcores beside it, one per queue.
    const lcores = ['0@0', ...Array.from({ length: k }, (_, i) => `${i + 1}@${i % hostCpus}`)].join(',');
    const ref = await startTestpmd(labNs, nic.labnsIf, lcores, 'lab-bench-txonly', k, [
      '--forward-mode=txonly',
      `--nb-cores=${k}`,
      '--txpkts=64',
      `--eth-peer=0,${nic.mac}`,
      `--tx-ip=${nic.labns_ip},${nic.address}`,
      '--txonly-multi-flow',
    ]);
    try {
      before = await wireRx();
      const t0 = Date.now();
      await sleep(FLOOD_S * 1000);
      round.txonly.set(k, ((await wireRx()) - before) / ((Date.now() - t0) / 1000));
    } finally {
      await terminate(ref);
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** "median (min–max)" */
function spread(xs: number[], digits: number, scale = 1): string {
  const f = (x: number) => (x / scale).toFixed(digits);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

async function main(): Promise<void> {
  const steps = new Steps();
  const duts = [ours, testpmd, kernel];
  const rounds = new Map<Dut, Round[]>(duts.map((d) => [d, []]));
  const gens: GeneratorRound[] = [];
  try {
    await labUp(lab, quiet);
    for (let r = 0; r < ROUNDS; r++) {
      // Interleaved, and in a rotating order, so drift and warm-up fall on every DUT alike.
      for (let i = 0; i < duts.length; i++) {
        const dut = duts[(i + r) % duts.length]!;
        await steps.step(`round ${r + 1}/${ROUNDS}: ${dut.name}`, async () => {
          const running = await dut.start();
          try {
            // The same discarded warm-up for every DUT: the first frames after a start meet sockets still joining their fan-out group.
            const to = { dstIp: running.dstIp, routed: running.routed ?? false };
            await probe({ count: 500, pps: LATENCY.pps, ...to });
            const latency = await probe({ ...LATENCY, ...to });
            const flood = await probe({ flood: true, durationS: FLOOD_S, ...to });
            rounds.get(dut)!.push({ latency, flood });
          } finally {
            await running.stop();
          }
        });
      }
      gens.push(await steps.step(`round ${r + 1}/${ROUNDS}: generators (l2probe flood, testpmd txonly)`, generators));
    }
  } finally {
    await labDown(lab, true);
    rmSync(work, { recursive: true, force: true });
  }
  const col = (dut: Dut, f: (x: Round) => number) => rounds.get(dut)!.map(f);
  console.log(
    `\nveth + af_packet, ${QUEUES} queues, ${FLOWS} flows, 64-byte frames, ${hostCpus} host CPUs shared by DUT and prober; ` +
      `median (min–max) of ${ROUNDS} interleaved rounds (flood ${FLOOD_S} s; latency ${LATENCY.count} frames at ${LATENCY.pps} pps)`,
  );
  console.log(
    table(
      [
        'DUT',
        'offered Mpps',
        'echoed Mpps',
        'flood loss %',
        `RTT p50 µs @${LATENCY.pps}pps`,
        'RTT p99 µs',
        'latency run lost',
      ],
      duts.map((d) => [
        d.name,
        spread(
          col(d, (x) => x.flood.pps.sent),
          3,
          1e6,
        ),
        spread(
          col(d, (x) => x.flood.pps.echoed),
          3,
          1e6,
        ),
        spread(
          col(d, (x) => (100 * x.flood.lost) / Math.max(1, x.flood.sent)),
          2,
        ),
        spread(
          col(d, (x) => x.latency.rtt_us.p50),
          1,
        ),
        spread(
          col(d, (x) => x.latency.rtt_us.p99),
          1,
        ),
        `${col(d, (x) => x.latency.lost).reduce((a, b) => a + b, 0)}/${col(d, (x) => x.latency.sent).reduce((a, b) => a + b, 0)}`,
      ]),
    ),
  );
  const ratio = (f: (x: Round) => number) => (median(col(ours, f)) / median(col(testpmd, f))).toFixed(2);
  console.log(
    `\nours/testpmd at equal pollers: echoed Mpps ${ratio((x) => x.flood.pps.echoed)}×, RTT p50 ${ratio((x) => x.latency.rtt_us.p50)}×, RTT p99 ${ratio((x) => x.latency.rtt_us.p99)}× (medians; lower RTT is better)`,
  );
  console.log(
    `\ngenerators, 64-byte frames, counted where they arrive with no app polling (median (min–max) of ${ROUNDS} rounds):`,
  );
  console.log(
    table(
      ['generator', 'offered Mpps'],
      SENDERS.flatMap((k) => [
        [
          `l2probe flood (${k} sending thread${k > 1 ? 's' : ''})`,
          spread(
            gens.map((g) => g.l2probe.get(k)!),
            3,
            1e6,
          ),
        ],
        [
          `dpdk-testpmd txonly (${k} lcore${k > 1 ? 's' : ''})`,
          spread(
            gens.map((g) => g.txonly.get(k)!),
            3,
            1e6,
          ),
        ],
      ]),
    ),
  );
}

await main();
