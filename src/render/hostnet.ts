// The nodes' side of the lab namespace, as commands: the namespaces, a QEMU node's taps, a netns
// node's veths, what the apps take and give back. `lab up` runs them, qemu.sh prints them. Pure.
// What a NIC's far end is joined to is its wire kind's (src/wires/).
import type { Nic } from '../config/lab.js';

export type Argv = string[];

/** Creates the lab namespace (no-op parts are the caller's concern: it checks what exists first). */
export function namespaceCommands(netns: string): Argv[] {
  return [
    ['ip', 'netns', 'add', netns],
    ['ip', '-n', netns, 'link', 'set', 'lo', 'up'],
    ...quietNamespaceCommands(netns),
  ];
}

/**
 * A QEMU node's tap in the lab namespace, multiqueue when the NIC has several queues so QEMU can
 * attach queues=N to it (QEMU opens a one-queue tap without IFF_MULTI_QUEUE, and the kernel refuses
 * that on a multi_queue tap, EINVAL). It is owned by the user QEMU runs as: once QEMU has dropped
 * root, the guest turning queues on and off (TUNSETQUEUE) is allowed only to the tap's owner.
 */
export function tapCommands(netns: string, nic: Nic, owner?: string): Argv[] {
  return [
    [
      'ip',
      '-n',
      netns,
      'tuntap',
      'add',
      'dev',
      nic.labnsIf,
      'mode',
      'tap',
      ...(owner ? ['user', owner] : []),
      ...(nic.queues > 1 ? ['multi_queue'] : []),
    ],
  ];
}

/** A netns node's NIC: a veth from the lab namespace into the node's, whose end there has the MAC and address the spec gives it. */
export function netnsNicCommands(labNs: string, nodeNs: string, nic: Nic): Argv[] {
  return [
    ['ip', '-n', labNs, 'link', 'add', nic.labnsIf, 'type', 'veth', 'peer', 'name', nic.name, 'netns', nodeNs],
    ['ip', '-n', nodeNs, 'link', 'set', nic.name, 'address', nic.mac],
    ...giveNicCommands(nodeNs, nic),
  ];
}

/** No IPv6 chatter (router solicitations, MLD) on lab wires: every frame the apps see is a test's. */
export function quietNamespaceCommands(netns: string): Argv[] {
  return [
    ['ip', 'netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'],
    ['ip', 'netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1'],
  ];
}

/**
 * The netns tier's "bind to DPDK": af_packet cannot detach the kernel's stack from a veth the way
 * binding a PCI NIC to vfio-pci does, so the kernel's address goes instead; its stack then
 * answers nothing on that wire, which is what the kernel-bypass check observes.
 */
export function takeNicCommands(nodeNs: string, nic: Nic): Argv[] {
  return [['ip', '-n', nodeNs, 'addr', 'flush', 'dev', nic.name]];
}

export function giveNicCommands(nodeNs: string, nic: Nic): Argv[] {
  return [
    ['ip', '-n', nodeNs, 'addr', 'replace', `${nic.address}/${nic.prefix}`, 'dev', nic.name],
    ['ip', '-n', nodeNs, 'link', 'set', nic.name, 'up'],
  ];
}

/** The kernel no longer answers ARP for a NIC DPDK owns: the tester needs a static entry to send to it, run where the tester is. */
export function neighbourArgv(dev: string, nic: Nic): Argv {
  return ['ip', 'neigh', 'replace', nic.address, 'lladdr', nic.mac, 'dev', dev, 'nud', 'permanent'];
}

/** The same entry, made from outside the namespace. */
export function staticNeighbourCommand(netns: string, dev: string, nic: Nic): Argv {
  const [ip, ...rest] = neighbourArgv(dev, nic);
  return [ip!, '-n', netns, ...rest];
}

/**
 * A plain kernel reflector, the benchmark's floor: frames to `backNet` are routed back out the
 * wire they came in on, to the host side's MAC, so the kernel's forwarding swaps the MACs just
 * as the echo apps do.
 */
export function kernelReflectorCommands(nodeNs: string, nic: Nic, hostMac: string, backNet: string): Argv[] {
  return [
    [
      'ip',
      'netns',
      'exec',
      nodeNs,
      'sysctl',
      '-qw',
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.send_redirects=0',
      `net.ipv4.conf.${nic.name}.send_redirects=0`,
    ],
    ['ip', '-n', nodeNs, 'route', 'replace', backNet, 'via', nic.labns_ip, 'dev', nic.name],
    ['ip', '-n', nodeNs, 'neigh', 'replace', nic.labns_ip, 'lladdr', hostMac, 'dev', nic.name, 'nud', 'permanent'],
  ];
}

/** Takes the reflector away again, so the kernel forwards nothing while an app owns the wire. */
export function kernelReflectorUndoCommands(nodeNs: string, backNet: string): Argv[] {
  return [
    ['ip', 'netns', 'exec', nodeNs, 'sysctl', '-qw', 'net.ipv4.ip_forward=0'],
    ['ip', '-n', nodeNs, 'route', 'del', backNet],
  ];
}
