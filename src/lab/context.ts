// What every lab operation starts from: the lab, its paths, and where an app runs.
import { LabError } from '../errors.js';
import { labPaths, type LabPaths } from '../layout.js';
import type { App, Lab, Nic, Vm } from '../config/lab.js';
import { findNic, findVm } from '../config/lab.js';

export interface LabContext {
  lab: Lab;
  paths: LabPaths;
}

export function contextOf(lab: Lab): LabContext {
  return { lab, paths: labPaths(lab) };
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
