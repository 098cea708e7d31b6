// lab verify: each check a named result with the figure it measured, from the lab's namespace.
import { join } from 'node:path';
import { counterDelta } from '../apps/events.js';
import { requestCounters } from '../apps/runner.js';
import { NATIVE_BIN } from '../drivers/netns.js';
import { LabError } from '../errors.js';
import { isInterrupt } from '../host/interrupt.js';
import { readState } from '../host/state.js';
import type { AppHost } from '../drivers/apphost.js';
import { runningApp, stopAppUnlocked } from '../lab/apps.js';
import { contextOf, placeOf } from '../lab/context.js';
import type { Lab } from '../config/lab.js';
import type { VerifySpec } from '../config/spec-types.js';
import { ping } from './ping.js';
import { runProbe } from './probe.js';

export type CheckName = VerifySpec['checks'][number];

export interface CheckResult {
  check: CheckName;
  app: string;
  status: 'passed' | 'failed' | 'skipped';
  measured: string;
  data?: unknown;
  ms: number;
}

/**
 * Runs one check. A check that cannot be carried out (the app died, a guest command failed) has
 * failed, with the reason as what it measured: the report still names every check. Ctrl-C and
 * errors that are not lab's own still end the command.
 */
async function timed(check: CheckName, app: string, fn: () => Promise<Omit<CheckResult, 'check' | 'app' | 'ms'>>): Promise<CheckResult> {
  const started = Date.now();
  try {
    const r = await fn();
    return { check, app, ...r, ms: Date.now() - started };
  } catch (err) {
    if (!(err instanceof LabError) || isInterrupt(err)) throw err;
    const measured = err.problems.map((p) => `could not check: ${p.message}${p.hint ? ` (${p.hint.trim().split('\n').join(' | ')})` : ''}`).join('; ');
    return { check, app, status: 'failed', measured, data: err.problems, ms: Date.now() - started };
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

/** Runs the spec's checks against one running app; `control` stops it at the end. The caller holds the lab lock and the host. */
export async function verifyApp(lab: Lab, name: string, host: AppHost): Promise<CheckResult[]> {
  const { paths } = contextOf(lab);
  const { app, nic } = placeOf(lab, name);
  const s = readState(paths)?.apps[name];
  if (!s || !(await host.target.alive(s.proc))) throw new LabError({ code: 'STATE', message: `app ${name} is not running`, hint: `Run \`lab run ${name}\` first.` });
  const running = runningApp(host, s);
  const spec = lab.verify;
  const want = (c: CheckName) => spec.checks.includes(c);
  const results: CheckResult[] = [];

  if (want('kernel_bypass')) {
    results.push(await timed('kernel_bypass', name, async () => {
      const p = await ping(paths.netns, nic.address, spec.ping.count, spec.ping.interval);
      return { status: verdict(p.received === 0), measured: `${p.transmitted - p.received}/${p.transmitted} pings to ${nic.address} unanswered while the app owns the NIC`, data: p };
    }));
  }

  // One probe run feeds the echo, rss and latency checks; if it cannot run, each of them fails with why.
  let probeMs = 0;
  const probed = want('echo') || want('rss') || want('latency') ? await attempt(async () => {
    const probeStarted = Date.now();
    try {
      const before = await requestCounters(running);
      const probe = await runProbe(paths.netns, join(NATIVE_BIN, 'l2probe'), {
        iface: nic.hostIf, target: nic.mac, count: spec.echo.frames, pps: spec.echo.pps, flows: spec.echo.flows,
        size: spec.echo.frame_size, srcIp: nic.host_ip, dstIp: nic.address, waitMs: 1000,
      });
      return { probe, queues: counterDelta(before, await requestCounters(running)) };
    } finally {
      probeMs = Date.now() - probeStarted;
    }
  }) : undefined;

  if (want('echo') && probed) {
    results.push(await timed('echo', name, async () => {
      const { probe: p } = probed();
      const ok = p.lost <= Math.floor(spec.echo.max_loss * p.sent) && p.bad_mac === 0 && p.corrupted === 0 && p.duplicates === 0 && p.sent === spec.echo.frames;
      return { status: verdict(ok), measured: `${p.received}/${p.sent} frames echoed over ${spec.echo.flows} flows, ${p.bad_mac} with wrong MACs, ${p.corrupted} corrupted, ${Math.round(p.pps.echoed)} pps`, data: p };
    }));
    results[results.length - 1]!.ms += probeMs; // the probe ran for this check
  }

  if (want('rss') && probed) {
    results.push(await timed('rss', name, async () => {
      if (app.program !== 'l2_multi_echo') return { status: 'skipped', measured: `${app.program} runs one queue` };
      const { probe: p, queues: q } = probed();
      const need = spec.rss.min_queues || q.length;
      const hit = q.filter((x) => x.rx > 0).length;
      const sum = q.reduce((a, x) => a + x.rx, 0);
      return {
        status: verdict(hit >= need && sum === p.sent),
        measured: `${hit}/${q.length} queues received traffic (need ${need}): ${q.map((x) => x.rx).join(' + ')} = ${sum}, l2probe sent ${p.sent}`,
        data: q,
      };
    }));
  }

  if (want('latency') && probed) {
    results.push(await timed('latency', name, async () => {
      const { rtt_us: rtt, received } = probed().probe;
      const p50ok = spec.latency.p50_us === 0 || rtt.p50 <= spec.latency.p50_us;
      const p99ok = spec.latency.p99_us === 0 || rtt.p99 <= spec.latency.p99_us;
      const limits = [spec.latency.p50_us && `p50 ≤ ${spec.latency.p50_us}`, spec.latency.p99_us && `p99 ≤ ${spec.latency.p99_us}`].filter(Boolean).join(', ');
      return { status: verdict(received > 0 && p50ok && p99ok), measured: `RTT p50 ${rtt.p50} µs, p99 ${rtt.p99} µs, max ${rtt.max} µs${limits ? ` (limits: ${limits} µs)` : ' (no limits set)'}`, data: rtt };
    }));
  }

  if (want('control')) {
    results.push(await timed('control', name, async () => {
      const stopped = await stopAppUnlocked(lab, name, host);
      const p = await ping(paths.netns, nic.address, spec.ping.count, spec.ping.interval);
      const ok = stopped.how === 'exited' && p.loss <= spec.ping.max_control_loss;
      return { status: verdict(ok), measured: `after lab stop (${stopped.how}), ${p.received}/${p.transmitted} pings answered by the kernel`, data: { ping: p, final: stopped.final } };
    }));
  }
  return results;
}
