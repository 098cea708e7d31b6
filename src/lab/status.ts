// lab status: what exists and runs, read from the state and checked against the host.
import { isAlive } from '../host/process.js';
import { netnsExists } from '../host/netns.js';
import { readState } from '../host/state.js';
import { netnsIsUp } from '../drivers/netns.js';
import { vmNamespace } from '../render/hostnet.js';
import type { Lab } from '../spec/lab.js';
import { contextOf } from './context.js';

export interface StatusResult {
  lab: string;
  up: boolean;
  netns: { name: string; exists: boolean };
  vms: Array<{ vm: string; driver: string; state: 'running' | 'stopped' | 'broken'; since?: string; netns: string; nics: Array<{ name: string; queues: number; mac: string; ip: string }> }>;
  apps: Array<{ app: string; vm: string; state: 'running' | 'exited'; pid: number; since: string; log: string; queues: number; rss: string }>;
}

export async function labStatus(lab: Lab): Promise<StatusResult> {
  const { paths } = contextOf(lab);
  const state = readState(paths);
  const vms: StatusResult['vms'] = [];
  for (const vm of lab.vms) {
    const recorded = state?.vms[vm.name];
    const running = vm.driver === 'netns' && (await netnsIsUp(lab, vm, paths.netns));
    vms.push({
      vm: vm.name,
      driver: vm.driver,
      // Recorded as up but not all there: something removed part of it behind lab's back.
      state: running ? 'running' : recorded ? 'broken' : 'stopped',
      ...(recorded ? { since: recorded.startedAt } : {}),
      netns: vmNamespace(lab, vm),
      nics: vm.nics.map((n) => ({ name: n.name, queues: n.queues, mac: n.mac, ip: n.ip })),
    });
  }
  const apps = Object.entries(state?.apps ?? {}).map(([app, s]) => ({
    app,
    vm: s.vm,
    state: isAlive(s.proc) ? ('running' as const) : ('exited' as const),
    pid: s.proc.pid,
    since: s.startedAt,
    log: s.log,
    queues: s.ready.queues,
    rss: s.ready.rss,
  }));
  return { lab: lab.name, up: vms.every((v) => v.state === 'running'), netns: { name: paths.netns, exists: netnsExists(paths.netns) }, vms, apps };
}
