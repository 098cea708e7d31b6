// lab status: what exists and runs, read from the state and checked against the host.
import type { Accel } from '../host/accel.js';
import { isAlive } from '../host/process.js';
import { netnsExists } from '../host/netns.js';
import { readState } from '../host/state.js';
import { netnsIsUp } from '../drivers/netns.js';
import { qemuPidFile } from '../drivers/qemu.js';
import { vmPaths } from '../layout.js';
import { vmNamespace } from '../render/hostnet.js';
import { findVm, type Lab } from '../config/lab.js';
import { withHost } from './apps.js';
import { contextOf } from './context.js';

export interface StatusResult {
  lab: string;
  up: boolean;
  netns: { name: string; exists: boolean };
  vms: Array<{
    vm: string;
    driver: string;
    state: 'running' | 'stopped' | 'broken' | 'crashed';
    since?: string;
    uptimeS?: number;
    netns: string;
    accel?: Accel;
    sshPort?: number;
    pid?: number;
    nics: Array<{ name: string; queues: number; mac: string; ip: string; guestIf?: string; guestQueues?: number }>;
  }>;
  apps: Array<{ app: string; vm: string; state: 'running' | 'exited'; pid: number; since: string; log: string; queues: number; rss: string }>;
}

export async function labStatus(lab: Lab): Promise<StatusResult> {
  const { paths } = contextOf(lab);
  const state = readState(paths);
  const vms: StatusResult['vms'] = [];
  for (const vm of lab.vms) {
    const recorded = state?.vms[vm.name];
    const q = recorded?.qemu;
    const running = vm.driver === 'netns' ? await netnsIsUp(lab, vm, paths.netns) : q !== undefined && isAlive(q.proc);
    // A QEMU with no record: a lab up that was killed outright, before it could undo or record.
    const unrecorded = vm.driver === 'qemu' && !recorded ? qemuPidFile(vmPaths(paths.root, vm)) : undefined;
    const orphan = unrecorded && isAlive(unrecorded) ? unrecorded : undefined;
    vms.push({
      vm: vm.name,
      driver: vm.driver,
      // Recorded as up but not there: a QEMU whose process is gone crashed (or was killed);
      // a namespace with parts missing, or a QEMU lab never recorded, is broken: lab down clears both.
      state: running ? 'running' : recorded ? (vm.driver === 'qemu' ? 'crashed' : 'broken') : orphan ? 'broken' : 'stopped',
      ...(orphan ? { pid: orphan.pid } : {}),
      ...(recorded ? { since: recorded.startedAt, uptimeS: Math.round((Date.now() - Date.parse(recorded.startedAt)) / 1000) } : {}),
      netns: vm.driver === 'netns' ? vmNamespace(lab, vm) : paths.netns,
      ...(q ? { accel: q.accel, sshPort: q.sshPort, pid: q.proc.pid } : {}),
      nics: vm.nics.map((n) => {
        const g = q?.nics.find((x) => x.name === n.name);
        return { name: n.name, queues: n.queues, mac: n.mac, ip: n.ip, ...(g ? { guestIf: g.ifname, guestQueues: g.combined } : {}) };
      }),
    });
  }
  const apps: StatusResult['apps'] = [];
  for (const [app, s] of Object.entries(state?.apps ?? {})) {
    // An app's PID is its VM's: a netns VM's is this host's, a QEMU VM's is the guest's, asked over SSH.
    const vm = findVm(lab, s.vm);
    const vmRunning = vms.find((v) => v.vm === s.vm)?.state === 'running';
    const alive = vm !== undefined && vmRunning && (await withHost(lab, vm, (host) => host.target.alive(s.proc)));
    apps.push({ app, vm: s.vm, state: alive ? 'running' : 'exited', pid: s.proc.pid, since: s.startedAt, log: s.log, queues: s.ready.queues, rss: s.ready.rss });
  }
  return { lab: lab.name, up: vms.every((v) => v.state === 'running'), netns: { name: paths.netns, exists: netnsExists(paths.netns) }, vms, apps };
}
