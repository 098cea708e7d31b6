// lab verify and lab test: the proof, for one app, every running app, or the whole sequence.
import type { Steps } from '../commands/steps.js';
import { LabError } from '../errors.js';
import { withLock } from '../host/lock.js';
import { readState } from '../host/state.js';
import { transaction } from '../host/undo.js';
import type { Lab } from '../config/lab.js';
import { verifyApp, type CheckResult } from '../verify/checks.js';
import { makeReport, type Report } from '../verify/report.js';
import { labRun, labStop, withHost } from './apps.js';
import { contextOf, placeOf } from './context.js';
import { labDown } from './down.js';
import { labUp } from './up.js';

export async function labVerify(lab: Lab, name?: string): Promise<Report> {
  const { paths } = contextOf(lab);
  if (name) placeOf(lab, name);
  return withLock(paths.lock, 'verify', async () => {
    const names = name ? [name] : Object.keys(readState(paths)?.apps ?? {});
    if (!names.length) throw new LabError({ code: 'STATE', message: `no app of lab ${lab.name} is running`, hint: `Start one: lab run ${lab.apps[0]?.name ?? 'APP'}` });
    const checks: CheckResult[] = [];
    for (const n of names) checks.push(...(await withHost(lab, placeOf(lab, n).vm, (host) => verifyApp(lab, n, host))));
    return makeReport(lab.name, checks);
  });
}

/** up → for each app: run, verify, stop → down; down also runs on a failure or Ctrl-C. */
export async function labTest(lab: Lab, steps: Steps): Promise<Report> {
  return transaction(async (undo, checkpoint) => {
    undo.push(`lab down ${lab.name}`, async () => void (await labDown(lab, false)));
    await steps.run(`lab up ${lab.name}`, () => labUp(lab, steps));
    const checks: CheckResult[] = [];
    for (const app of lab.apps) {
      checkpoint();
      await steps.run(`lab run ${app.name}`, () => labRun(lab, app.name));
      const report = await steps.run(`lab verify ${app.name}`, () => labVerify(lab, app.name));
      checks.push(...report.checks);
      await steps.run(`lab stop ${app.name}`, () => labStop(lab, app.name));
    }
    await steps.run(`lab down ${lab.name}`, () => labDown(lab, false));
    return makeReport(lab.name, checks);
  });
}
