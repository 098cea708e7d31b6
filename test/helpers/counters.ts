// lab's own apps print their counters on SIGUSR1, for people; lab verify reads every app's from
// DPDK's telemetry instead. The native tests hold the apps' own lines to what was sent.
import { LabError } from '../../src/errors.js';
import { tail } from '../../src/host/exec.js';
import { waitFor } from '../../src/host/wait.js';
import { parseEvents, type CountersEvent } from '../../src/apps/events.js';
import type { RunningApp } from '../../src/apps/runner.js';

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
