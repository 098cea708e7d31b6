// lab test: the whole sequence, up → for each app: run, verify, stop → down.
import type { Lab } from '../config/lab.js';
import { transaction } from '../host/undo.js';
import type { Reporter } from '../progress.js';
import type { CheckResult } from '../verify/checks.js';
import { makeReport, type Report } from '../verify/report.js';
import { labRun, labStop } from './apps.js';
import { labDown } from './down.js';
import { labUp } from './up.js';
import { labVerify } from './verify-apps.js';

/** down also runs on a failure or Ctrl-C. */
export async function labTest(lab: Lab, reporter: Reporter): Promise<Report> {
  return transaction(async (undo, checkpoint) => {
    undo.push(`lab down ${lab.name}`, async () => void (await labDown(lab, false)));
    await reporter.step(`lab up ${lab.name}`, () => labUp(lab, reporter));
    const checks: CheckResult[] = [];
    for (const app of lab.apps) {
      checkpoint();
      await reporter.step(`lab run ${app.name}`, () => labRun(lab, app.name));
      const report = await reporter.step(`lab verify ${app.name}`, () => labVerify(lab, app.name));
      checks.push(...report.checks);
      await reporter.step(`lab stop ${app.name}`, () => labStop(lab, app.name));
    }
    await reporter.step(`lab down ${lab.name}`, () => labDown(lab, false));
    return makeReport(lab.name, checks);
  });
}
