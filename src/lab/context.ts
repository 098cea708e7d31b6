// What every lab operation starts from, and the one place that says what is not built yet.
import { LabError } from '../errors.js';
import { labPaths, type LabPaths } from '../layout.js';
import type { App, Lab, Nic, Vm } from '../spec/lab.js';
import { findNic, findVm } from '../spec/lab.js';

export interface LabContext {
  lab: Lab;
  paths: LabPaths;
}

export function contextOf(lab: Lab): LabContext {
  return { lab, paths: labPaths(lab) };
}

/** Apps in QEMU VMs (lab run/stop/verify/test) land with issue 5; netns VMs have them today. */
export function requireNetnsOnly(lab: Lab, verb: string): void {
  const qemu = lab.vms.filter((v) => v.driver === 'qemu').map((v) => v.name);
  if (qemu.length) {
    throw new LabError({
      code: 'NOT_BUILT',
      message: `\`lab ${verb}\` for apps in QEMU VMs (${qemu.join(', ')}) is not built yet (issue 5); it works today for driver: netns VMs`,
      hint: 'Try the VM-free tier: npx lab test -f examples/netns.yaml',
    });
  }
}

export interface AppPlace {
  app: App;
  vm: Vm;
  nic: Nic;
}

export function placeOf(lab: Lab, name: string): AppPlace {
  const app = lab.apps.find((a) => a.name === name);
  if (!app) {
    throw new LabError({ code: 'USAGE', message: `lab ${lab.name} has no app "${name}"`, hint: `Its apps: ${lab.apps.map((a) => a.name).join(', ') || 'none'}.` });
  }
  // loadLab's semantic checks guarantee both exist unless --force skipped them.
  const vm = findVm(lab, app.vm);
  const nic = findNic(lab, app.vm, app.nic);
  if (!vm || !nic) throw new LabError({ code: 'USAGE', message: `app ${name} names ${app.vm}.${app.nic}, which does not exist` });
  return { app, vm, nic };
}
