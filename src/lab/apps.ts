// lab run / lab stop: an app takes its NIC from the kernel, runs until stopped, gives the NIC back.
// The same steps for a netns VM and a QEMU VM; AppHost says how each does them.
import type { CountersEvent, ReadyEvent } from '../apps/events.js';
import { startApp, stopApp, type RunningApp } from '../apps/runner.js';
import { openAppHost, type AppHost } from '../drivers/apphost.js';
import { LabError } from '../errors.js';
import { catchingSignals, isInterrupt } from '../host/interrupt.js';
import { withLock } from '../host/lock.js';
import { waitUntil } from '../host/process.js';
import { readState, writeState, type AppState, type LabState } from '../host/state.js';
import { transaction } from '../host/undo.js';
import type { Lab, Vm } from '../config/lab.js';
import { contextOf, placeOf } from './context.js';

export interface RunResult {
  app: string;
  alreadyRunning: boolean;
  vm: string;
  nic: string;
  where: string;
  pid: number;
  log: string;
  argv: string[];
  pci?: string;
  ready: ReadyEvent;
}

function upState(lab: Lab, vm: string): LabState {
  const state = readState(contextOf(lab).paths);
  if (!state?.vms[vm]) throw new LabError({ code: 'STATE', message: `lab ${lab.name} is not up (vm ${vm} is not running)`, hint: 'Run `lab up` first.' });
  return state;
}

/** Opens the app's host for the length of `fn`. */
export async function withHost<T>(lab: Lab, vm: Vm, fn: (host: AppHost) => Promise<T>): Promise<T> {
  const host = await openAppHost(lab, vm);
  try {
    return await fn(host);
  } finally {
    host.close();
  }
}

export function runningApp(host: AppHost, s: AppState): RunningApp {
  return { target: host.target, ref: s.proc, log: s.log };
}

export async function labRun(lab: Lab, name: string): Promise<RunResult> {
  const { paths } = contextOf(lab);
  const { app, vm, nic } = placeOf(lab, name);
  return withLock(paths.lock, 'run', () =>
    withHost(lab, vm, async (host) => {
      const state = upState(lab, vm.name);
      const current = state.apps[name];
      if (current && (await host.target.alive(current.proc))) {
        return { app: name, alreadyRunning: true, vm: vm.name, nic: nic.name, where: host.target.where, pid: current.proc.pid, log: current.log, argv: [], ready: current.ready };
      }
      for (const [other, s] of Object.entries(state.apps)) {
        if (other !== name && s.vm === vm.name && s.nic === nic.name && (await host.target.alive(s.proc))) {
          throw new LabError({ code: 'STATE', message: `${vm.name}.${nic.name} is taken by app ${other}`, hint: `Run \`lab stop ${other}\` first.` });
        }
      }
      return transaction(async (undo, checkpoint) => {
        const taken = await host.take(nic);
        undo.push(`give ${vm.name}.${nic.name} back to the kernel`, () => host.give(nic));
        checkpoint();
        const argv = host.argv(app, nic, taken);
        const { app: running, ready } = await startApp(host.target, argv, host.logPath(name));
        undo.push(`stop ${name}`, async () => void (await stopApp(running)));
        checkpoint();
        state.apps[name] = { vm: vm.name, nic: nic.name, program: app.program, proc: running.ref, log: running.log, startedAt: new Date().toISOString(), ready };
        writeState(paths, state);
        return { app: name, alreadyRunning: false, vm: vm.name, nic: nic.name, where: host.target.where, pid: running.ref.pid, log: running.log, argv, ...(taken.pci ? { pci: taken.pci } : {}), ready };
      });
    }),
  );
}

export interface StopAppResult {
  app: string;
  wasRunning: boolean;
  how: 'gone' | 'exited' | 'killed';
  final?: CountersEvent;
}

export async function labStop(lab: Lab, name: string): Promise<StopAppResult> {
  const { paths } = contextOf(lab);
  const { vm } = placeOf(lab, name);
  return withLock(paths.lock, 'stop', () => withHost(lab, vm, (host) => stopAppUnlocked(lab, name, host)));
}

/** Stops an app, gives its NIC back and forgets it; the caller holds the lab lock and the host. */
export async function stopAppUnlocked(lab: Lab, name: string, host: AppHost): Promise<StopAppResult> {
  const { paths } = contextOf(lab);
  const { nic } = placeOf(lab, name);
  const state = readState(paths);
  const s = state?.apps[name];
  if (!state || !s) return { app: name, wasRunning: false, how: 'gone' };
  const stopped = await stopApp(runningApp(host, s));
  await host.give(nic);
  delete state.apps[name];
  writeState(paths, state);
  return { app: name, wasRunning: stopped.how !== 'gone', ...stopped };
}

/**
 * `lab run APP` without --detach: streams the app's log until Ctrl-C (or until the app exits by
 * itself), then stops it as `lab stop` does, so nothing is left running behind the terminal.
 */
export async function followApp(lab: Lab, name: string, write: (text: string) => void): Promise<StopAppResult> {
  const { paths } = contextOf(lab);
  const { vm } = placeOf(lab, name);
  await catchingSignals(() =>
    withHost(lab, vm, async (host) => {
      const s = readState(paths)?.apps[name];
      if (!s) return;
      let shown = 0;
      try {
        for (;;) {
          const log = await host.target.readLog(s.log);
          if (log.length > shown) write(log.slice(shown));
          shown = Math.max(shown, log.length);
          if (!(await host.target.alive(s.proc))) return;
          await waitUntil(() => false, 500);
        }
      } catch (err) {
        if (!isInterrupt(err)) throw err;
      }
    }),
  );
  return labStop(lab, name);
}
