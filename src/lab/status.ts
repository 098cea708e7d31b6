// lab status: what exists and runs, read from the state and checked against the host by each node's driver.
import { findVm, type Lab } from '../config/lab.js';
import { LabError } from '../errors.js';
import type { NodeState } from '../drivers/node.js';
import { openDrivers } from '../drivers/registry.js';
import { netnsExists } from '../host/netns.js';
import { quiet } from '../progress.js';
import { readState } from '../state/store.js';
import { withHost } from './apps.js';
import { nodeSummary, type NodeSummary } from './summary.js';

export interface StatusResult {
  lab: string;
  up: boolean;
  netns: { name: string; exists: boolean };
  vms: Array<
    NodeSummary & {
      state: NodeState;
      since?: string;
      uptimeS?: number;
      pid?: number;
    }
  >;
  apps: Array<{
    app: string;
    vm: string;
    state: 'running' | 'exited';
    pid: number;
    since: string;
    log: string;
    queues: number;
    rss: string;
  }>;
}

/** The whole lab's status, or with `only` that one node's and its apps'. */
export async function labStatus(lab: Lab, only?: string): Promise<StatusResult> {
  const drivers = openDrivers(lab, quiet);
  const { paths } = drivers.session;
  const state = readState(paths);
  if (only !== undefined && !findVm(lab, only))
    throw new LabError({
      code: 'USAGE',
      message: `lab ${lab.name} has no vm "${only}"`,
      hint: `Its vms: ${lab.vms.map((v) => v.name).join(', ')}.`,
    });
  const vms: StatusResult['vms'] = [];
  for (const vm of lab.vms.filter((v) => only === undefined || v.name === only)) {
    const driver = drivers.of(vm.driver);
    const recorded = state?.vms[vm.name];
    const status = await driver.status(vm, recorded);
    // The process its record names, or the QEMU a killed lab up left behind without a record.
    const pid = status.pid ?? driver.facts(vm, recorded).pid;
    vms.push({
      ...nodeSummary(drivers, vm, recorded),
      state: status.state,
      ...(pid !== undefined ? { pid } : {}),
      ...(recorded
        ? { since: recorded.startedAt, uptimeS: Math.round((Date.now() - Date.parse(recorded.startedAt)) / 1000) }
        : {}),
    });
  }
  const apps: StatusResult['apps'] = [];
  for (const [app, s] of Object.entries(state?.apps ?? {}).filter(([, a]) => only === undefined || a.vm === only)) {
    // An app's PID is its node's: asked of the node, which for a VM means the guest.
    const vm = lab.vms.find((v) => v.name === s.vm);
    const nodeRunning = vms.find((v) => v.vm === s.vm)?.state === 'running';
    const alive =
      vm !== undefined && nodeRunning && (await withHost(drivers, vm, state, (host) => host.target.alive(s.proc)));
    apps.push({
      app,
      vm: s.vm,
      state: alive ? 'running' : 'exited',
      pid: s.proc.pid,
      since: s.startedAt,
      log: s.log,
      queues: s.ready.queues,
      rss: s.ready.rss,
    });
  }
  return {
    lab: lab.name,
    up: vms.every((v) => v.state === 'running'),
    netns: { name: paths.netns, exists: netnsExists(paths.netns) },
    vms,
    apps,
  };
}
