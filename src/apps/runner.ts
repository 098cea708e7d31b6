// Starting, watching and stopping an app on its target, with a deadline on every wait.
import { LabError } from '../errors.js';
import { tail } from '../host/exec.js';
import { stopLadder, type ProcRef, type StopHow } from '../host/process.js';
import { waitFor } from '../host/wait.js';
import { lastOf, parseEvents, type CountersEvent, type ReadyEvent } from './events.js';
import type { AppTarget } from './target.js';
import { isLabApp, type App } from '../config/lab.js';
import { NoTelemetrySocket, portReady, readPorts, type PortTelemetry } from './telemetry.js';

export interface RunningApp {
  target: AppTarget;
  ref: ProcRef;
  log: string;
}

export interface ReadyOptions {
  /** The app as the spec names it: its lcores, and whether it is one of lab's (which print a ready line). */
  app: Pick<App, 'name' | 'program' | 'lcores'>;
  /** Its --file-prefix, which names its telemetry socket. */
  filePrefix: string;
  /** How many ports it was given, each of which must be started with link up (default 1). */
  ports?: number;
  timeoutMs?: number;
}

export async function startApp(
  target: AppTarget,
  argv: string[],
  log: string,
  o: ReadyOptions,
): Promise<{ app: RunningApp; ready: ReadyEvent }> {
  const ref = await target.start(argv, log);
  const app = { target, ref, log };
  try {
    return { app, ready: await waitReady(app, o) };
  } catch (err) {
    // An app that never got ready is not left running.
    await stopApp(app);
    throw err;
  }
}

/**
 * Ready, by DPDK's own account: its telemetry says each of its ports is started with link up. lab's own apps
 * also print a ready line (their lcores in queue order, how RSS is done), which is waited for too
 * and kept for people; any other app is described by its telemetry. If the app dies first, its last
 * lines say why (e.g. too few queues).
 */
export async function waitReady(app: RunningApp, o: ReadyOptions): Promise<ReadyEvent> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const want = o.ports ?? 1;
  const allReady = () => ports.length >= want && ports.slice(0, want).every(portReady);
  const ownLine = isLabApp(o.app.program);
  let line: ReadyEvent | undefined;
  let ports: PortTelemetry[] = [];
  let noTelemetry: LabError | undefined;
  let alive = true;
  await waitFor(
    async () => {
      alive = await app.target.alive(app.ref);
      if (!alive) return true;
      line = lastOf(parseEvents(await app.target.readLog(app.log)), 'ready');
      if (ownLine && !line) return false;
      try {
        ports = await readPorts(app.target, o.filePrefix);
        noTelemetry = undefined;
      } catch (err) {
        // No socket yet: EAL is still starting. Any other failure is lab's to report.
        if (!(err instanceof NoTelemetrySocket)) throw err;
        noTelemetry = err;
        return false;
      }
      return allReady();
    },
    { timeoutMs, everyMs: 250 },
  );
  if (alive && allReady()) return line ?? readyFromTelemetry(o.app, ports[0]!);
  const logTail = tail(await app.target.readLog(app.log), 12);
  if (!alive)
    throw new LabError({
      code: 'PROCESS',
      message: `the app exited before it was ready (${app.target.where}, log ${app.log})`,
      hint: logTail,
    });
  if (noTelemetry) throw new LabError(noTelemetry.problems.map((p) => ({ ...p, code: 'TIMEOUT' as const })));
  throw new LabError({
    code: 'TIMEOUT',
    message: `${want === 1 ? "the app's port was not" : `not all of the app's ${want} ports were`} started with link up within ${timeoutMs / 1000} s (${app.target.where}, log ${app.log}); its telemetry: ${describePorts(ports)}`,
    hint: logTail,
  });
}

/** What an app that prints no ready line is, as its telemetry tells it. */
function readyFromTelemetry(app: ReadyOptions['app'], port: PortTelemetry): ReadyEvent {
  return {
    event: 'ready',
    app: app.name,
    port: port.port,
    driver: port.info.name,
    mac: port.info.mac_addr,
    queues: port.info.nb_rx_queues,
    rss: 'unknown',
    link: 'up',
    lcores: Array.isArray(app.lcores) ? app.lcores : [],
  };
}

function describePorts(ports: PortTelemetry[]): string {
  if (!ports.length) return 'no ports';
  return ports
    .map((p) => `port ${p.port} ${p.info.dev_started ? 'started' : 'not started'}, link ${p.link.status}`)
    .join('; ');
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
