// The relay wire's processes: an l2impair relay in the lab namespace for each link or network with `impair`,
// between the far ends of its NICs there. This project's hosts have no netem in their kernel, so
// the impairment is lab's own program, run and tracked like any process lab starts: by the PID its
// pidfile names, which the relay writes itself before anything else.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBuildDir } from '../../host/native-build.js';
import { findNic, type Impairment, type Lab, type Relay } from '../../config/lab.js';
import type { WireContext } from '../wire.js';
import { LabError } from '../../errors.js';
import { spawnDetached, tail } from '../../host/exec.js';
import { isAlive, pidFileProcess, signal, terminate, type ProcRef } from '../../host/process.js';
import type { Undo } from '../../host/undo.js';
import { waitFor } from '../../host/wait.js';
import { relayFiles, type LabPaths } from '../../layout.js';
import { describeImpairment } from '../../render/graph.js';
import type { LabState, RelayRecord } from '../../state/store.js';
import { makeDir, readBounded } from '../../host/files.js';

/** The relays of the spec that do not run: never started, or gone with a port (a node restarted). */
export function missingRelays(lab: Lab, paths: LabPaths): Relay[] {
  return lab.relays.filter((r) => !pidFileProcess(relayFiles(paths, r.name).pid));
}

/**
 * Whether the kernel keeps real-time tasks from taking a whole CPU (sched_rt_runtime_us below its
 * period; -1 turns that off, as some DPDK tuning guides advise): only then may the relay run SCHED_FIFO.
 */
function realtimeThrottled(): boolean {
  try {
    return Number(readFileSync('/proc/sys/kernel/sched_rt_runtime_us', 'utf8').trim()) >= 0;
  } catch {
    return false;
  }
}

/** Starts a relay and waits for its ready line; a relay that fails says why from its own log. */
async function startRelay(lab: Lab, paths: LabPaths, relay: Relay, impair: Impairment): Promise<ProcRef> {
  const files = relayFiles(paths, relay.name);
  makeDir(paths.relays);
  makeDir(paths.logs);
  rmSync(files.log, { force: true });
  const ports = relay.ports.map((p) => findNic(lab, p.node, p.nic)!.labnsIf);
  const ref = spawnDetached(
    relayArgv(paths.netns, join(nativeBuildDir(), 'l2impair'), ports, impair, files.pid, realtimeThrottled()),
    files.log,
  );
  const log = () => readBounded(files.log);
  const ready = await waitFor(() => log().includes('{"event":"ready"') || !isAlive(ref), { timeoutMs: 10_000 });
  if (ready && isAlive(ref)) return ref;
  await terminate(ref, 1_000);
  throw new LabError({
    code: 'PROCESS',
    message: `the relay of ${relay.label} did not start (log ${files.log})`,
    hint: tail(log(), 5),
  });
}

/** Starts every relay that does not run, with what the state says it had (a `lab impair` since up), else the spec's. */
export async function startRelays(ctx: WireContext, state: LabState, undo: Undo): Promise<void> {
  const { lab, paths, reporter } = ctx;
  for (const relay of missingRelays(lab, paths)) {
    const impair = state.relays?.[relay.name]?.impair ?? relay.impair;
    const ref = await reporter.step(`relay ${relay.name} for ${relay.label} (${describeImpairment(impair)})`, () =>
      startRelay(lab, paths, relay, impair),
    );
    undo.push(`stop the relay of ${relay.label}`, async () => void (await terminate(ref)));
    state.relays = { ...state.relays, [relay.name]: { impair, startedAt: new Date().toISOString() } };
  }
}

/**
 * Stops every relay the lab's pidfiles name (a half-made lab's too), but those in `keep`; says
 * what it stopped.
 */
export async function stopRelays(paths: LabPaths, keep: ReadonlySet<string> = new Set()): Promise<string[]> {
  const stopped: string[] = [];
  for (const { name, ref } of runningRelays(paths).filter((r) => !keep.has(r.name))) {
    if ((await terminate(ref)) !== 'gone') stopped.push(`relay ${name} (pid ${ref.pid})`);
  }
  return stopped;
}

/** The relays running for this lab, by their pidfiles. */
function runningRelays(paths: LabPaths): Array<{ name: string; ref: ProcRef }> {
  let names: string[];
  try {
    names = readdirSync(paths.relays)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => f.slice(0, -'.pid'.length));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const ref = pidFileProcess(relayFiles(paths, name).pid);
    return ref ? [{ name, ref }] : [];
  });
}

/** Relays that run for a wire the spec no longer impairs. */
export function staleRelays(lab: Lab, paths: LabPaths): string[] {
  return runningRelays(paths)
    .map((r) => r.name)
    .filter((name) => !lab.relays.some((r) => r.name === name));
}

/** A running lab whose spec no longer impairs a wire: its relay goes, before the far ends join a bridge or take an address. */
export async function stopStaleRelays(lab: Lab, paths: LabPaths): Promise<void> {
  await stopRelays(paths, new Set(lab.relays.map((r) => r.name)));
}

/** A relay by the name a person gives it: the wire's (lk0, br-lan), a network's, or a NIC on it (tst.eth0). */
export function relayNamed(lab: Lab, wire: string): Relay {
  const relay = lab.relays.find(
    (r) => r.name === wire || r.label === `network ${wire}` || r.ports.some((p) => `${p.node}.${p.nic}` === wire),
  );
  if (relay) return relay;
  throw new LabError({
    code: 'USAGE',
    message: `lab ${lab.name} has no impaired wire "${wire}"`,
    hint: lab.relays.length
      ? `Its impaired wires: ${lab.relays.map((r) => `${r.name} (${r.label})`).join(', ')}. Name one, a network, or a NIC on one.`
      : 'Only a link or network with `impair:` in the spec is carried by a relay that lab impair can change: add `impair: {}` to it, then lab down and lab up.',
  });
}

export interface WireImpairment {
  wire: string;
  label: string;
  impair: Impairment;
  running: boolean;
  pid?: number;
}

export function wireImpairment(paths: LabPaths, state: LabState | undefined, relay: Relay): WireImpairment {
  const ref = pidFileProcess(relayFiles(paths, relay.name).pid);
  const record: RelayRecord | undefined = state?.relays?.[relay.name];
  return {
    wire: relay.name,
    label: relay.label,
    impair: record?.impair ?? relay.impair,
    running: Boolean(ref),
    ...(ref ? { pid: ref.pid } : {}),
  };
}

/** Restarts a running relay with a changed impairment; the wire carries nothing for the moment in between. */
export async function changeRelay(
  lab: Lab,
  paths: LabPaths,
  state: LabState,
  relay: Relay,
  impair: Impairment,
): Promise<void> {
  const old = pidFileProcess(relayFiles(paths, relay.name).pid);
  if (!old)
    throw new LabError({
      code: 'STATE',
      message: `the relay of ${relay.label} is not running`,
      hint: "Run `lab up` first: it starts every impaired wire's relay.",
    });
  await terminate(old);
  await startRelay(lab, paths, relay, impair);
  state.relays = { ...state.relays, [relay.name]: { impair, startedAt: new Date().toISOString() } };
}

interface RelayStats {
  event: 'stats';
  ports: Array<{ iface: string; rx: number; tx: number; lost: number; overflow: number }>;
}

function statsLines(log: string): RelayStats[] {
  return log
    .split('\n')
    .filter((l) => l.startsWith('{"event":"stats"'))
    .map((l) => JSON.parse(l) as RelayStats);
}

/** Frames an impaired wire's relay has sent out of one of its ports so far: its counters, asked for with SIGUSR1. */
export async function relayPortSent(paths: LabPaths, relay: Relay, port: string): Promise<number> {
  const files = relayFiles(paths, relay.name);
  const ref = pidFileProcess(files.pid);
  const before = statsLines(readFileSync(files.log, 'utf8')).length;
  if (!ref || !signal(ref, 'SIGUSR1'))
    throw new LabError({
      code: 'PROCESS',
      message: `the relay of ${relay.label} is not running`,
      hint: "Run `lab up`: it starts every impaired wire's relay.",
    });
  const stats = await waitFor(() => statsLines(readFileSync(files.log, 'utf8'))[before], {
    timeoutMs: 5_000,
    everyMs: 20,
  });
  const sent = stats?.ports.find((p) => p.iface === port)?.tx;
  if (sent === undefined)
    throw new LabError({
      code: 'TIMEOUT',
      message: `the relay of ${relay.label} did not report its counters for ${port} (log ${files.log})`,
    });
  return sent;
}

/** The only capabilities the relay keeps: raw packet sockets, and real-time scheduling when it may have it. */
const RELAY_CAPS = ['net_raw', 'sys_nice'];

/**
 * An impaired wire's relay between its ports in the lab namespace; it writes its own pidfile first,
 * so no run can lose track of it. It runs with only the capabilities it needs (setpriv), and without
 * real-time priority when the kernel's real-time throttling is off: a busy SCHED_FIFO loop could
 * then starve a CPU for good.
 */
export function relayArgv(
  netns: string,
  l2impair: string,
  ports: string[],
  impair: Impairment,
  pidfile: string,
  realtime = true,
): string[] {
  const caps = RELAY_CAPS.map((c) => `+${c}`).join(',');
  return [
    'ip',
    'netns',
    'exec',
    netns,
    'setpriv',
    `--bounding-set=-all,${caps}`,
    `--inh-caps=-all,${caps}`,
    `--ambient-caps=-all,${caps}`,
    '--no-new-privs',
    '--',
    l2impair,
    ...ports.flatMap((p) => ['-i', p]),
    '--delay-us',
    String(impair.delay_us),
    '--jitter-us',
    String(impair.jitter_us),
    '--loss',
    String(impair.loss),
    ...(impair.rate_mbit > 0 ? ['--rate-mbit', String(impair.rate_mbit)] : []),
    ...(realtime ? [] : ['--rt-priority', '0']),
    '--pidfile',
    pidfile,
  ];
}
