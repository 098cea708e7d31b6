// lab bench: the zero-loss throughput search per frame size, against each running app, from the
// same tester and wire lab verify uses.
import { placeOf, type Lab } from '../config/lab.js';
import { openContext } from '../nodes/registry.js';
import { withLock } from '../host/lock.js';
import { quiet, type Reporter } from '../progress.js';
import { zeroLossRate, type ThroughputRow } from '../verify/throughput.js';
import { appsToCheck, withHost } from './apps.js';
import { subjectOf } from './verify-apps.js';

export interface BenchOptions {
  /** With FCS, as RFC 2544 counts them. */
  sizes: number[];
  trialS: number;
  /** Fraction (0..1) of frames a passing trial may lose. */
  lossTolerance: number;
}

export interface BenchResult {
  lab: string;
  trial_s: number;
  loss_tolerance: number;
  flows: number;
  apps: Array<{ app: string; node: string; program: string; does: 'echo' | 'forward'; rows: ThroughputRow[] }>;
}

export async function labBench(
  lab: Lab,
  name: string | undefined,
  o: BenchOptions,
  reporter: Reporter,
): Promise<BenchResult> {
  const ctx = openContext(lab, quiet);
  const { paths } = ctx.session;
  if (name) placeOf(lab, name);
  const flows = lab.verify.echo.flows;
  return withLock(paths.lock, 'bench', async () => {
    const state = ctx.state();
    const names = appsToCheck(ctx, name);
    const apps: BenchResult['apps'] = [];
    for (const n of names) {
      const { app, node } = placeOf(lab, n);
      const rows = await withHost(ctx, node, state, async (host) => {
        const subject = await subjectOf(ctx, n, host);
        const out: ThroughputRow[] = [];
        try {
          for (const size of o.sizes) {
            out.push(
              await reporter.step(`${n}: zero-loss search at ${size} B`, () =>
                zeroLossRate(subject, { frameSize: size, trialS: o.trialS, lossTolerance: o.lossTolerance, flows }),
              ),
            );
          }
        } finally {
          subject.close();
        }
        return out;
      });
      apps.push({ app: n, node: node.name, program: app.program, does: app.does, rows });
    }
    return { lab: lab.name, trial_s: o.trialS, loss_tolerance: o.lossTolerance, flows, apps };
  });
}
