// lab status: what exists and runs, read from the state and checked against the host by each node's driver.
import type { Lab } from '../config/lab.js';
import type { NodeState } from '../drivers/node.js';
import { openDrivers } from '../drivers/registry.js';
import { netnsExists } from '../host/netns.js';
import { quiet } from '../progress.js';
import { readState } from '../state/store.js';
import { withHost } from './apps.js';

export interface StatusResult {
  lab: string;
  up: boolean;
  netns: { name: string; exists: boolean };
  vms: Array<{
    vm: string;
    driver: string;
    state: NodeState;
    since?: string;
    uptimeS?: number;
    netns: string;
    accel?: 'kvm' | 'tcg';
    sshPort?: number;
    pid?: number;
    nics: Array<{ name: string; queues: number; mac: string; ip: string; guestIf?: string; guestQueues?: number }>;
  }>;
  apps: Array<{ app: string; vm: string; state: 'running' | 'exited'; pid: number; since: string; log: string; queues: number; rss: string }>;
}

export async function labStatus(lab: Lab): Promise<StatusResult> {
  const drivers = openDrivers(lab, quiet);
  const { paths } = drivers.session;
  const state = readState(paths);
  const vms: StatusResult['vms'] = [];
  for (const vm of lab.vms) {
    const driver = drivers.of(vm.driver);
    const recorded = state?.vms[vm.name];
    const status = await driver.status(vm, recorded);
    const facts = driver.facts(vm, recorded);
    vms.push({
      vm: vm.name,
      driver: vm.driver,
      state: status.state,
      ...(status.pid !== undefined ? { pid: status.pid } : {}),
      ...(recorded ? { since: recorded.startedAt, uptimeS: Math.round((Date.now() - Date.parse(recorded.startedAt)) / 1000) } : {}),
      netns: facts.netns,
      ...(facts.accel ? { accel: facts.accel, sshPort: facts.sshPort, pid: facts.pid } : {}),
      nics: vm.nics.map((n) => {
        const g = facts.guestNics?.find((x) => x.name === n.name);
        return { name: n.name, queues: n.queues, mac: n.mac, ip: n.ip, ...(g ? { guestIf: g.ifname, guestQueues: g.combined } : {}) };
      }),
    });
  }
  const apps: StatusResult['apps'] = [];
  for (const [app, s] of Object.entries(state?.apps ?? {})) {
    // An app's PID is its node's: asked of the node, which for a VM means the guest.
    const vm = lab.vms.find((v) => v.name === s.vm);
    const nodeRunning = vms.find((v) => v.vm === s.vm)?.state === 'running';
    const alive = vm !== undefined && nodeRunning && (await withHost(drivers, vm, state, (host) => host.target.alive(s.proc)));
    apps.push({ app, vm: s.vm, state: alive ? 'running' : 'exited', pid: s.proc.pid, since: s.startedAt, log: s.log, queues: s.ready.queues, rss: s.ready.rss });
  }
  return { lab: lab.name, up: vms.every((v) => v.state === 'running'), netns: { name: paths.netns, exists: netnsExists(paths.netns) }, vms, apps };
}
