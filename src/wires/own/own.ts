// A NIC's own wire: its far end in the lab namespace (a tap or veth end there) has the labns
// address, so the lab namespace itself can test the NIC. Nothing to make beyond the node's own end.
import type { Nic } from '../../config/lab.js';
import type { Argv } from '../../render/hostnet.js';
import type { WireKind } from '../wire.js';

export function labnsAddressCommands(labNetns: string, nic: Nic): Argv[] {
  return [
    ['ip', '-n', labNetns, 'addr', 'add', `${nic.labns_ip}/${nic.prefix}`, 'dev', nic.labnsIf],
    ['ip', '-n', labNetns, 'link', 'set', nic.labnsIf, 'up'],
  ];
}

export const ownWire: WireKind = {
  kind: 'own',
  describe: (nic) => `its own wire to the lab namespace (${nic.labnsIf} ${nic.labns_ip})`,
  farEnd: labnsAddressCommands,
  capturePoint: (ctx, nic) => ({ netns: ctx.paths.netns, ifname: nic.labnsIf }),
  testerEnd: (nic) => ({ ifname: nic.labnsIf, ip: nic.labns_ip }),
};
