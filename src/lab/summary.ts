// How lab up and lab status describe a node: its spec beside what its driver knows of it.
import type { Vm } from '../config/lab.js';
import type { Drivers } from '../drivers/registry.js';
import type { NodeRecord } from '../state/store.js';

export interface NodeSummary {
  vm: string;
  driver: string;
  netns: string;
  accel?: 'kvm' | 'tcg';
  accelReason?: string;
  sshPort?: number;
  nics: Array<{ name: string; queues: number; mac: string; ip: string; hostIf: string; host_ip: string; guestIf?: string; guestQueues?: number }>;
}

export function nodeSummary(drivers: Drivers, vm: Vm, record: NodeRecord | undefined): NodeSummary {
  const facts = drivers.of(vm.driver).facts(vm, record);
  return {
    vm: vm.name,
    driver: vm.driver,
    netns: facts.netns,
    ...(facts.accel ? { accel: facts.accel, accelReason: facts.accelReason, sshPort: facts.sshPort } : {}),
    nics: vm.nics.map((n) => {
      const g = facts.guestNics?.find((x) => x.name === n.name);
      return { name: n.name, queues: n.queues, mac: n.mac, ip: n.ip, hostIf: n.hostIf, host_ip: n.host_ip, ...(g ? { guestIf: g.ifname, guestQueues: g.combined } : {}) };
    }),
  };
}
