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
  /** hostIf and host_ip: the far end of a NIC's own wire, in the lab namespace; link: the NIC at the other end of its link; network: the shared network it is on. */
  nics: Array<{
    name: string;
    queues: number;
    mac: string;
    ip: string;
    hostIf?: string;
    host_ip?: string;
    link?: string;
    network?: string;
    guestIf?: string;
    guestQueues?: number;
  }>;
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
      const far =
        n.peer.kind === 'nic'
          ? { link: `${n.peer.vm}.${n.peer.nic}` }
          : n.peer.kind === 'network'
            ? { network: n.peer.network }
            : { hostIf: n.hostIf, host_ip: n.host_ip };
      return {
        name: n.name,
        queues: n.queues,
        mac: n.mac,
        ip: n.ip,
        ...far,
        ...(g ? { guestIf: g.ifname, guestQueues: g.combined } : {}),
      };
    }),
  };
}
