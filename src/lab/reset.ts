// lab reset: a running lab, or one VM of it, back in the state lab up left it in: every app stopped
// with its NIC given back, and a QEMU VM restarted from its provisioned snapshot.
import { type Lab, type Vm, vmNamed } from '../config/lab.js';
import { openDrivers } from '../drivers/registry.js';
import { LabError } from '../errors.js';
import { withLock } from '../host/lock.js';
import type { Reporter } from '../progress.js';
import { readState, writeState } from '../state/store.js';
import { stopAndGiveBack, withHost } from './apps.js';

export interface ResetResult {
  lab: string;
  vms: Array<{ vm: string; appsStopped: string[]; ms: number }>;
}

export async function labReset(lab: Lab, reporter: Reporter, only?: string): Promise<ResetResult> {
  const drivers = openDrivers(lab, reporter);
  const { paths } = drivers.session;
  const vms: Vm[] = only === undefined ? lab.vms : [vmNamed(lab, only)];
  return withLock(paths.lock, 'reset', async () => {
    if (!readState(paths))
      throw new LabError({ code: 'STATE', message: `lab ${lab.name} is not up`, hint: 'Run `lab up` first.' });
    const out: ResetResult['vms'] = [];
    for (const vm of vms) {
      const started = Date.now();
      const apps = Object.entries(readState(paths)?.apps ?? {})
        .filter(([, a]) => a.vm === vm.name)
        .map(([name]) => name);
      await withHost(drivers, vm, readState(paths), async (host) => {
        for (const app of apps)
          await reporter.step(`${vm.name}: stop ${app} and give its NIC back`, () =>
            stopAndGiveBack(drivers, app, host),
          );
      });
      const record = await drivers.of(vm.driver).reset(vm, readState(paths)?.vms[vm.name]);
      const state = readState(paths);
      if (state && record) {
        state.vms[vm.name] = record;
        writeState(paths, state);
      }
      out.push({ vm: vm.name, appsStopped: apps, ms: Date.now() - started });
    }
    return { lab: lab.name, vms: out };
  });
}
