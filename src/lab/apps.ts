// lab run / lab stop: an app takes its NIC from the kernel, runs until stopped, gives the NIC back.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { CountersEvent, ReadyEvent } from '../apps/events.js';
import { startApp, stopApp, type RunningApp } from '../apps/runner.js';
import { giveNetnsNic, netnsAppTarget, netnsArgv, takeNetnsNic } from '../drivers/netns.js';
import { LabError } from '../errors.js';
import { appLog } from '../layout.js';
import { withLock } from '../host/lock.js';
import { isAlive } from '../host/process.js';
import { readState, writeState, type AppState, type LabState } from '../host/state.js';
import { transaction } from '../host/undo.js';
import type { Lab } from '../spec/lab.js';
import { contextOf, placeOf, requireNetnsOnly } from './context.js';

export interface RunResult {
  app: string;
  alreadyRunning: boolean;
  vm: string;
  nic: string;
  where: string;
  pid: number;
  log: string;
  argv: string[];
  ready: ReadyEvent;
}

function upState(lab: Lab, vm: string): LabState {
  const { paths } = contextOf(lab);
  const state = readState(paths);
  if (!state?.vms[vm]) throw new LabError({ code: 'STATE', message: `lab ${lab.name} is not up (vm ${vm} is not running)`, hint: 'Run `lab up` first.' });
  return state;
}

export function runningApp(lab: Lab, s: AppState): RunningApp {
  const vm = lab.vms.find((v) => v.name === s.vm)!;
  return { target: netnsAppTarget(lab, vm), ref: s.proc, log: s.log };
}

export async function labRun(lab: Lab, name: string): Promise<RunResult> {
  requireNetnsOnly(lab, 'run');
  const { paths } = contextOf(lab);
  const { app, vm, nic } = placeOf(lab, name);
  return withLock(paths.lock, 'run', async () => {
    const state = upState(lab, vm.name);
    const current = state.apps[name];
    const target = netnsAppTarget(lab, vm);
    if (current && isAlive(current.proc)) {
      return { app: name, alreadyRunning: true, vm: vm.name, nic: nic.name, where: target.where, pid: current.proc.pid, log: current.log, argv: [], ready: current.ready };
    }
    const holder = Object.entries(state.apps).find(([other, s]) => other !== name && s.vm === vm.name && s.nic === nic.name && isAlive(s.proc));
    if (holder) throw new LabError({ code: 'STATE', message: `${vm.name}.${nic.name} is taken by app ${holder[0]}`, hint: `Run \`lab stop ${holder[0]}\` first.` });

    return transaction(async (undo, checkpoint) => {
      await takeNetnsNic(lab, vm, nic, paths.netns);
      undo.push(`give ${nic.name} back to the kernel`, () => giveNetnsNic(lab, vm, nic));
      checkpoint();
      const log = appLog(paths, name);
      mkdirSync(paths.logs, { recursive: true });
      writeFileSync(log, '');
      const argv = netnsArgv(lab, app, nic);
      const { app: running, ready } = await startApp(target, argv, log);
      undo.push(`stop ${name}`, async () => void (await stopApp(running)));
      checkpoint();
      state.apps[name] = { vm: vm.name, nic: nic.name, program: app.program, proc: running.ref, log, startedAt: new Date().toISOString(), ready };
      writeState(paths, state);
      return { app: name, alreadyRunning: false, vm: vm.name, nic: nic.name, where: target.where, pid: running.ref.pid, log, argv, ready };
    });
  });
}

export interface StopAppResult {
  app: string;
  wasRunning: boolean;
  how: 'gone' | 'exited' | 'killed';
  final?: CountersEvent;
}

export async function labStop(lab: Lab, name: string): Promise<StopAppResult> {
  requireNetnsOnly(lab, 'stop');
  const { paths } = contextOf(lab);
  placeOf(lab, name);
  return withLock(paths.lock, 'stop', () => stopAppUnlocked(lab, name));
}

/** Stops an app, gives its NIC back and forgets it; the caller holds the lab lock. */
export async function stopAppUnlocked(lab: Lab, name: string): Promise<StopAppResult> {
  const { paths } = contextOf(lab);
  const { vm, nic } = placeOf(lab, name);
  const state = readState(paths);
  const s = state?.apps[name];
  if (!state || !s) return { app: name, wasRunning: false, how: 'gone' };
  const stopped = await stopApp(runningApp(lab, s));
  await giveNetnsNic(lab, vm, nic);
  delete state.apps[name];
  writeState(paths, state);
  return { app: name, wasRunning: stopped.how !== 'gone', ...stopped };
}
