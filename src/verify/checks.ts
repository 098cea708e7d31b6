// lab verify's checks: each a named result with the figure it measured. They are handed what they
// need (the app, its NIC, where the tester sends from, how to read the app's counters and how to
// stop it) and know nothing of labs, state or node kinds.
import type { CountersEvent, QueueCounters } from '../apps/events.js';
import { counterDelta } from '../apps/events.js';
import type { StopHow } from '../host/process.js';
import { LabError, type Problem } from '../errors.js';
import { isInterrupt } from '../host/interrupt.js';
import type { VerifySpec } from '../config/spec-types.js';
import type { AppSpec } from '../config/spec-types.js';
import type { PortTelemetry } from '../apps/telemetry.js';
import { forwardFaults, portDelta, rewrittenMacs, type AppEnd, type ForwardRun } from './forward.js';
import { ping, type PingResult } from './ping.js';
import { runL2probe, type L2ProbeResult } from './probe.js';
import { zeroLossRate, type ThroughputRow, type ThroughputTarget } from './throughput.js';

/** The running app under test, and the node that tests it. */
export interface VerifySubject extends ThroughputTarget {
  app: { name: string; program: string; does: AppSpec['does']; rewrite: AppSpec['rewrite'] };
  /** Each of the app's NICs (nic is the first), as the tester reaches it. */
  ends: AppEnd[];
  /** The first port's counters, per queue. */
  counters(): Promise<CountersEvent>;
  /** Every port of the app, as its telemetry tells it now. */
  ports(): Promise<PortTelemetry[]>;
  /** Stops the app and gives its NIC back to the kernel (the control check). */
  stop(): Promise<{ how: StopHow; final?: CountersEvent }>;
  /**
   * An impaired wire between the tester and the app, which drops frames on purpose: how many it
   * has delivered to the app's NIC so far, so the queues' counts are held to what arrived.
   */
  wire?: { delivered(): Promise<number> };
}

/** The listed checks, and throughput, which runs when the spec sets verify.throughput.min_pps. */
export type CheckName = VerifySpec['checks'][number] | 'throughput';

/** A round-trip time distribution: its percentiles and the histogram they come from. */
export interface RttData {
  min: number;
  p50: number;
  p99: number;
  max: number;
  hist: Array<[number, number]>;
}

/** What each check measured, by its name. */
export interface CheckData {
  kernel_bypass: PingResult;
  echo: L2ProbeResult;
  /** Each way through the DUT. */
  forward: ForwardRun[];
  /** Each queue's frames during the echo run. */
  rss: QueueCounters[];
  latency: RttData;
  throughput: ThroughputRow;
  control: { ping: PingResult; final?: CountersEvent };
}

interface CheckBase<C extends CheckName> {
  check: C;
  app: string;
  /** What it measured, in a sentence; for a failed check, why it failed. */
  measured: string;
  /** The measured figures by name, with the unit in the name (rtt_p99_us): for JUnit properties, the HTML report, the step summary. */
  figures?: Record<string, number>;
  ms: number;
}

/**
 * One check's result: what it measured and its verdict, or why it could not be carried out (the
 * problems, as data), or that it was not run. Readers narrow on `check` and `outcome`.
 */
export type CheckResult = {
  [C in CheckName]: CheckBase<C> &
    (
      | { outcome: 'measured'; status: 'passed' | 'failed'; data: CheckData[C] }
      | { outcome: 'could_not_check'; status: 'failed'; data: Problem[] }
      | { outcome: 'skipped'; status: 'skipped'; data?: undefined }
    );
}[CheckName];

/** A check's result of one name, measured. */
export type Measured<C extends CheckName> = Extract<CheckResult, { check: C; outcome: 'measured' }>;

/** The measured result of check `name` among `checks`, if there is one. */
export function measured<C extends CheckName>(checks: readonly CheckResult[], name: C): Measured<C> | undefined {
  return checks.find((c): c is Measured<C> => c.check === name && c.outcome === 'measured');
}

/** What a check's body returns: a verdict on what it measured, or that it does not apply. */
type Verdict<C extends CheckName> =
  | { status: 'passed' | 'failed'; measured: string; figures?: Record<string, number>; data: CheckData[C] }
  | { status: 'skipped'; measured: string };

/**
 * Runs one check. A check that cannot be carried out (the app died, a guest command failed) has
 * failed, with the reason as what it measured: the report still names every check. Ctrl-C and
 * errors that are not lab's own still end the command.
 */
async function timed<C extends CheckName>(check: C, app: string, fn: () => Promise<Verdict<C>>): Promise<CheckResult> {
  const started = Date.now();
  try {
    const r = await fn();
    const ms = Date.now() - started;
    return (
      r.status === 'skipped'
        ? { check, app, outcome: 'skipped', status: 'skipped', measured: r.measured, ms }
        : { check, app, outcome: 'measured', ...r, ms }
    ) as CheckResult;
  } catch (err) {
    if (!(err instanceof LabError) || isInterrupt(err)) throw err;
    const measured = err.problems
      .map((p) => `could not check: ${p.message}${p.hint ? ` (${p.hint.trim().split('\n').join(' | ')})` : ''}`)
      .join('; ');
    return {
      check,
      app,
      outcome: 'could_not_check',
      status: 'failed',
      measured,
      data: err.problems,
      ms: Date.now() - started,
    };
  }
}

const verdict = (ok: boolean): 'passed' | 'failed' => (ok ? 'passed' : 'failed');

/** Runs `fn` now; the returned getter gives its result, or throws its error where the result is used. */
async function attempt<T>(fn: () => Promise<T>): Promise<() => T> {
  try {
    const value = await fn();
    return () => value;
  } catch (err) {
    if (isInterrupt(err)) throw err;
    return () => {
      throw err;
    };
  }
}

export interface VerifyAppOptions {
  /**
   * Run the control check, which stops the app (lab test, lab verify --control). Without it the
   * app is left running, so verify can be repeated, and control is reported as skipped.
   */
  control?: boolean;
}

/** Pings every one of the app's NICs from its wire, in turn: the answers of all of them together. */
async function pingEnds(subject: VerifySubject, spec: VerifySpec): Promise<PingResult> {
  let transmitted = 0;
  let received = 0;
  for (const end of subject.ends) {
    const p = await ping(subject.tester.exec, end.address, spec.ping.count, spec.ping.interval);
    transmitted += p.transmitted;
    received += p.received;
  }
  return { transmitted, received, loss: transmitted ? (transmitted - received) / transmitted : 1 };
}

const addresses = (subject: VerifySubject) => subject.ends.map((e) => e.address).join(' and ');

/** The echo run: into the app's one NIC and back, with its first port's queues counted around it. */
async function echoRun(subject: VerifySubject, spec: VerifySpec) {
  const { nic, tester } = subject;
  const before = await subject.counters();
  const deliveredBefore = await subject.wire?.delivered();
  const probe = await runL2probe(tester.exec, tester.l2probe, {
    iface: nic.peerIf,
    target: nic.mac,
    count: spec.echo.frames,
    pps: spec.echo.pps,
    flows: spec.echo.flows,
    size: spec.echo.frame_size,
    srcIp: nic.peerIp,
    dstIp: nic.address,
    waitMs: 1000,
  });
  const queues = counterDelta(before, await subject.counters());
  const deliveredAfter = await subject.wire?.delivered();
  return { probe, queues, delivered: deliveredAfter === undefined ? undefined : deliveredAfter - deliveredBefore! };
}

/** The forward runs: into each of the app's two NICs in turn, out of the other, with both ports' telemetry around each. */
async function forwardRuns(subject: VerifySubject, spec: VerifySpec): Promise<ForwardRun[]> {
  const { ends, tester, app } = subject;
  const runs: ForwardRun[] = [];
  const [a, b] = ends as [AppEnd, AppEnd];
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const before = await subject.ports();
    const probe = await runL2probe(tester.exec, tester.l2probe, {
      iface: from.peerIf,
      rxIface: to.peerIf,
      target: from.mac,
      ...rewrittenMacs(app.rewrite, to),
      count: spec.forward.frames,
      pps: spec.forward.pps,
      flows: spec.forward.flows,
      size: spec.forward.frame_size,
      srcIp: from.peerIp,
      dstIp: to.peerIp,
      waitMs: 1000,
    });
    const after = await subject.ports();
    runs.push({
      from: from.name,
      to: to.name,
      probe,
      in: portDelta(before, after, from),
      out: portDelta(before, after, to),
    });
  }
  return runs;
}

/** Runs the spec's checks against one running app; with `control`, stops it at the end. */
export async function verifyApp(
  subject: VerifySubject,
  spec: VerifySpec,
  o: VerifyAppOptions = {},
): Promise<CheckResult[]> {
  const { app } = subject;
  const name = app.name;
  const forwards = app.does === 'forward';
  // echo and forward each apply to one kind of app: the other is not its check at all.
  const want = (c: VerifySpec['checks'][number]) =>
    spec.checks.includes(c) && !(c === 'echo' && forwards) && !(c === 'forward' && !forwards);
  const results: CheckResult[] = [];

  if (want('kernel_bypass')) {
    results.push(
      await timed('kernel_bypass', name, async () => {
        const p = await pingEnds(subject, spec);
        return {
          status: verdict(p.received === 0),
          measured: `${p.transmitted - p.received}/${p.transmitted} pings to ${addresses(subject)} unanswered while the app owns ${forwards ? 'its NICs' : 'the NIC'}`,
          figures: { pings_sent: p.transmitted, pings_answered: p.received },
          data: p,
        };
      }),
    );
  }

  // One probe run (an echo's) or one each way (a forward's) feeds the echo or forward, rss and
  // latency checks; if it cannot run, each of them fails with why.
  let probeMs = 0;
  const timedRun = <T>(fn: () => Promise<T>) =>
    attempt(async () => {
      const started = Date.now();
      try {
        return await fn();
      } finally {
        probeMs = Date.now() - started;
      }
    });
  const probing = want('echo') || want('forward') || want('rss') || want('latency');
  const echoed = probing && !forwards ? await timedRun(() => echoRun(subject, spec)) : undefined;
  const forwarded = probing && forwards ? await timedRun(() => forwardRuns(subject, spec)) : undefined;

  if (want('echo') && echoed) {
    results.push(
      await timed('echo', name, async () => {
        const { probe: p } = echoed();
        const ok =
          p.lost <= Math.floor(spec.echo.max_loss * p.sent) &&
          p.bad_mac === 0 &&
          p.corrupted === 0 &&
          p.duplicates === 0 &&
          p.sent === spec.echo.frames;
        const figures = {
          frames_sent: p.sent,
          frames_echoed: p.received,
          frames_lost: p.lost,
          bad_mac: p.bad_mac,
          corrupted: p.corrupted,
          duplicates: p.duplicates,
          echoed_pps: Math.round(p.pps.echoed),
        };
        return {
          status: verdict(ok),
          measured: `${p.received}/${p.sent} frames echoed over ${spec.echo.flows} flows, ${p.bad_mac} with wrong MACs, ${p.corrupted} corrupted, ${Math.round(p.pps.echoed)} pps`,
          figures,
          data: p,
        };
      }),
    );
    results[results.length - 1]!.ms += probeMs; // the probe ran for this check
  }

  if (want('forward') && forwarded) {
    results.push(
      await timed('forward', name, async () => {
        const runs = forwarded();
        const faults = runs.map((r) => forwardFaults(r, spec.forward.frames, spec.forward.max_loss));
        const ways = runs.map(
          (r, i) =>
            `${r.from} → ${r.to}: ${r.probe.received}/${r.probe.sent} forwarded${faults[i]!.length ? ` (${faults[i]!.join('; ')})` : ', byte for byte as declared, counted alike by both ports'}`,
        );
        return {
          status: verdict(faults.every((f) => !f.length)),
          measured: `rewrite ${app.rewrite}, ${spec.forward.flows} flows each way; ${ways.join('; ')}`,
          figures: Object.fromEntries(
            runs.flatMap((r, i) => [
              [`way${i}_frames_sent`, r.probe.sent],
              [`way${i}_frames_forwarded`, r.probe.received],
              [`way${i}_bad_mac`, r.probe.bad_mac],
              [`way${i}_corrupted`, r.probe.corrupted],
              [`way${i}_in_port_rx`, r.in.rx],
              [`way${i}_out_port_tx`, r.out.tx],
            ]),
          ),
          data: runs,
        };
      }),
    );
    results[results.length - 1]!.ms += probeMs;
  }

  if (want('rss') && (echoed || forwarded)) {
    results.push(
      await timed('rss', name, async () => {
        if (forwarded) return rssOfForward(forwarded(), spec);
        const { probe: p, queues: q, delivered } = echoed!();
        if (q.length < 2)
          return { status: 'skipped', measured: `${app.program} opened one RX queue: nothing to spread` };
        const need = spec.rss.min_queues || q.length;
        // A frame to a group address is never the probe's (it sends to the NIC's own MAC): the tester's
        // kernel (a VM's IPv6 chatter, say) may send one meanwhile, which the PMD counts apart.
        // An impaired wire's count is of every frame it passed on, those included.
        const probeRx = (x: (typeof q)[number]) => (delivered === undefined ? x.rx - x.filtered : x.rx);
        const hit = q.filter((x) => probeRx(x) > 0).length;
        const sum = q.reduce((a, x) => a + probeRx(x), 0);
        const strays = delivered === undefined ? q.reduce((a, x) => a + x.filtered, 0) : 0;
        return {
          status: verdict(hit >= need && sum === (delivered ?? p.sent)),
          measured: `${hit}/${q.length} queues received traffic (need ${need}): ${q.map(probeRx).join(' + ')} = ${sum}, l2probe sent ${p.sent}${delivered === undefined ? '' : `, the impaired wire delivered ${delivered}`}${strays ? ` (besides ${strays} group-addressed frame(s) not from the probe)` : ''}`,
          figures: Object.fromEntries([
            ...q.flatMap((x) => [
              [`queue${x.queue}_rx`, x.rx],
              [`queue${x.queue}_tx`, x.tx],
            ]),
            ['queues_fed', hit],
            ['frames_sent', p.sent],
          ]),
          data: q,
        };
      }),
    );
  }

  if (want('latency') && (echoed || forwarded)) {
    results.push(
      await timed('latency', name, async () => {
        // Through a forwarding DUT the tester times each frame from one wire to the other on its one
        // clock: the first way's figures are reported, the limits hold for both.
        const runs = forwarded ? forwarded().map((r) => r.probe) : [echoed!().probe];
        const { rtt_us: rtt, rtt_hist_us: hist, received } = runs[0]!;
        const within = (p: L2ProbeResult) =>
          p.received > 0 &&
          (spec.latency.p50_us === 0 || p.rtt_us.p50 <= spec.latency.p50_us) &&
          (spec.latency.p99_us === 0 || p.rtt_us.p99 <= spec.latency.p99_us);
        const limits = [
          spec.latency.p50_us && `p50 ≤ ${spec.latency.p50_us}`,
          spec.latency.p99_us && `p99 ≤ ${spec.latency.p99_us}`,
        ]
          .filter(Boolean)
          .join(', ');
        const other =
          forwarded && runs[1] ? `; the other way p50 ${runs[1].rtt_us.p50} µs, p99 ${runs[1].rtt_us.p99} µs` : '';
        return {
          status: verdict(runs.every(within)),
          measured: `${forwarded ? 'through the DUT, one wire to the other' : 'RTT'} min ${rtt.min} µs, p50 ${rtt.p50} µs, p99 ${rtt.p99} µs, max ${rtt.max} µs${other}${limits ? ` (limits: ${limits} µs)` : ' (no limits set)'}`,
          figures: {
            rtt_min_us: rtt.min,
            rtt_p50_us: rtt.p50,
            rtt_p99_us: rtt.p99,
            rtt_max_us: rtt.max,
            echoes_timed: received,
          },
          data: { ...rtt, hist },
        };
      }),
    );
  }

  const tp = spec.throughput;
  if (tp.min_pps > 0) {
    results.push(
      await timed('throughput', name, async () => {
        const row = await zeroLossRate(subject, {
          frameSize: tp.frame_size,
          trialS: tp.trial_s,
          lossTolerance: tp.loss_tolerance,
          flows: tp.flows,
          minPps: tp.min_pps,
        });
        const loss = tp.loss_tolerance ? `${tp.loss_tolerance * 100}% loss` : 'zero loss';
        const at = row.rtt_us ? `, RTT p50 ${row.rtt_us.p50} µs, p99 ${row.rtt_us.p99} µs there` : '';
        return {
          status: verdict(row.rate_pps >= tp.min_pps),
          measured: `${row.rate_pps} pps (${row.mbps} Mbit/s) at ${tp.frame_size} B with ${loss}, need ≥ ${tp.min_pps}${at}; ${row.trials.length} trials, limited by ${row.limited_by ?? 'nothing'}`,
          figures: {
            zero_loss_pps: row.rate_pps,
            mbit_s: row.mbps,
            frame_size: tp.frame_size,
            ...(row.rtt_us ? { rtt_p50_us: row.rtt_us.p50, rtt_p99_us: row.rtt_us.p99 } : {}),
          },
          data: row,
        };
      }),
    );
  }

  if (want('control') && !o.control) {
    results.push({
      check: 'control',
      app: name,
      outcome: 'skipped',
      status: 'skipped',
      measured: 'not run: it stops the app; lab verify --control or lab test runs it',
      ms: 0,
    });
  } else if (want('control')) {
    results.push(
      await timed('control', name, async () => {
        const stopped = await subject.stop();
        const p = await pingEnds(subject, spec);
        const ok = stopped.how === 'exited' && p.loss <= spec.ping.max_control_loss;
        return {
          status: verdict(ok),
          measured: `after lab stop (${stopped.how}), ${p.received}/${p.transmitted} pings to ${addresses(subject)} answered by the kernel`,
          figures: { pings_sent: p.transmitted, pings_answered: p.received },
          data: { ping: p, final: stopped.final },
        };
      }),
    );
  }
  return results;
}

/** RSS on a forwarding DUT: each in port's RX queues, as its telemetry counted them, each way. */
function rssOfForward(runs: ForwardRun[], spec: VerifySpec): Verdict<'rss'> {
  const queues = runs[0]!.in.queues_rx;
  if (runs.every((r) => r.in.queues_rx.length < 2))
    return { status: 'skipped', measured: 'the app opened one RX queue on each port: nothing to spread' };
  const need = (r: ForwardRun) => spec.rss.min_queues || r.in.queues_rx.length;
  const fed = (r: ForwardRun) => r.in.queues_rx.filter((n) => n > 0).length;
  const ok = runs.every((r) => fed(r) >= need(r) && r.in.queues_rx.reduce((a, b) => a + b, 0) === r.in.rx);
  return {
    status: verdict(ok),
    measured: runs
      .map(
        (r) =>
          `port ${r.in.port} (${r.in.nic}): ${fed(r)}/${r.in.queues_rx.length} queues received traffic (need ${need(r)}): ${r.in.queues_rx.join(' + ')} = ${r.in.rx}`,
      )
      .join('; '),
    figures: Object.fromEntries([
      ...queues.map((n, q) => [`queue${q}_rx`, n]),
      ['queues_fed', fed(runs[0]!)],
      ['frames_sent', runs[0]!.probe.sent],
    ]),
    data: queues.map((rx, queue) => ({ queue, lcore: -1, rx, tx: 0, dropped: 0, filtered: 0 })),
  };
}
