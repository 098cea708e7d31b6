// lab test: the whole sequence, up → for each app: run, verify, stop → down. The verify traffic is
// captured all along; when a check fails (or --evidence asks), the evidence is kept before down.
import { rmSync } from 'node:fs';
import type { Lab } from '../config/lab.js';
import { transaction } from '../host/undo.js';
import { labPaths } from '../layout.js';
import type { Reporter } from '../progress.js';
import type { CheckResult } from '../verify/checks.js';
import { makeReport, type Report } from '../verify/report.js';
import { labRun, labStop } from './apps.js';
import { labDown } from './down.js';
import { reportEnvironment } from './environment.js';
import { defaultEvidenceDir, keepEvidence } from './evidence.js';
import { labUp } from './up.js';
import type { AttachOptions } from './attach.js';
import { labVerify } from './verify-apps.js';

export interface TestOptions extends AttachOptions {
  /** Keep the evidence here, whatever the checks find; without it, only when one fails, in the lab's state folder. */
  evidence?: string;
}

/** down also runs on a failure or Ctrl-C. */
export async function labTest(lab: Lab, reporter: Reporter, o: TestOptions = {}): Promise<Report> {
  const { captures } = labPaths(lab);
  return transaction(async (undo, checkpoint) => {
    undo.push(`lab down ${lab.name}`, async () => void (await labDown(lab, false)));
    undo.push('drop the verify captures', async () => rmSync(captures, { recursive: true, force: true }));
    await reporter.step(`lab up ${lab.name}`, () => labUp(lab, reporter, o));
    const checks: CheckResult[] = [];
    for (const app of lab.apps) {
      checkpoint();
      await reporter.step(`lab run ${app.name}`, () => labRun(lab, app.name));
      const report = await reporter.step(`lab verify ${app.name}`, () =>
        labVerify(lab, app.name, { capture: true, control: true }),
      );
      checks.push(...report.checks);
      await reporter.step(`lab stop ${app.name}`, () => labStop(lab, app.name));
    }
    const report = makeReport(lab, checks);
    report.environment = await reportEnvironment(lab);
    if (o.evidence || !report.passed) {
      const dir = o.evidence ?? defaultEvidenceDir(lab);
      const why = report.passed ? 'asked for with --evidence' : `${report.counts.failed} check(s) failed`;
      report.evidence = await reporter.step(`keep the evidence in ${dir} (${why})`, () =>
        keepEvidence(lab, report, dir, why),
      );
    }
    rmSync(captures, { recursive: true, force: true });
    await reporter.step(`lab down ${lab.name}`, () => labDown(lab, false));
    return report;
  });
}
