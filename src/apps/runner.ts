// Starting, watching and stopping an app on its target, with a deadline on every wait.
import { LabError } from '../errors.js';
import { tail } from '../host/exec.js';
import { stopLadder, type ProcRef, type StopHow } from '../host/process.js';
import { waitFor } from '../host/wait.js';
import { lastOf, parseEvents, type CountersEvent, type ReadyEvent } from './events.js';
import type { AppTarget } from './target.js';

export interface RunningApp {
  target: AppTarget;
  ref: ProcRef;
  log: string;
}

export async function startApp(
  target: AppTarget,
  argv: string[],
  log: string,
  readyTimeoutMs = 60_000,
): Promise<{ app: RunningApp; ready: ReadyEvent }> {
  const ref = await target.start(argv, log);
  const app = { target, ref, log };
  return { app, ready: await waitReady(app, readyTimeoutMs) };
}

/** Waits for the ready line; if the app dies first, its last lines say why (e.g. too few queues). */
export async function waitReady(app: RunningApp, timeoutMs: number): Promise<ReadyEvent> {
  let ready: ReadyEvent | undefined;
  let alive = true;
  await waitFor(
    async () => {
      ready = lastOf(parseEvents(await app.target.readLog(app.log)), 'ready');
      alive = await app.target.alive(app.ref);
      return ready !== undefined || !alive;
    },
    { timeoutMs },
  );
  if (ready) return ready;
  const logTail = tail(await app.target.readLog(app.log), 12);
  if (!alive)
    throw new LabError({
      code: 'PROCESS',
      message: `the app exited before it was ready (${app.target.where}, log ${app.log})`,
      hint: logTail,
    });
  throw new LabError({
    code: 'TIMEOUT',
    message: `the app printed no ready line within ${timeoutMs / 1000} s (${app.target.where}, log ${app.log})`,
    hint: logTail,
  });
}

/** Asks for a counters line (SIGUSR1) and returns it once it is written. */
export async function requestCounters(app: RunningApp, timeoutMs = 5_000): Promise<CountersEvent> {
  const before = countersIn(await app.target.readLog(app.log)).length;
  if (!(await app.target.signal(app.ref, 'SIGUSR1'))) {
    throw new LabError({
      code: 'PROCESS',
      message: `the app is not running (${app.target.where}, log ${app.log})`,
      hint: tail(await app.target.readLog(app.log), 12),
    });
  }
  const got = await waitFor(
    async () => {
      const counters = countersIn(await app.target.readLog(app.log));
      return counters.length > before && counters[counters.length - 1]!;
    },
    { timeoutMs, everyMs: 50 },
  );
  if (!got)
    throw new LabError({
      code: 'TIMEOUT',
      message: `the app wrote no counters within ${timeoutMs / 1000} s of SIGUSR1 (log ${app.log})`,
    });
  return got;
}

function countersIn(log: string): CountersEvent[] {
  return parseEvents(log).filter((e): e is CountersEvent => e.event === 'stats');
}

export interface StopResult {
  how: StopHow;
  final?: CountersEvent;
}

/** Stops the app by the one ladder (SIGTERM, then SIGKILL); its exit line has its final counters. */
export async function stopApp(app: RunningApp, graceMs = 10_000): Promise<StopResult> {
  const how = await stopLadder(
    { signal: (sig) => app.target.signal(app.ref, sig), alive: () => app.target.alive(app.ref) },
    graceMs,
  );
  return { how, final: lastOf(parseEvents(await app.target.readLog(app.log)), 'exit') };
}
