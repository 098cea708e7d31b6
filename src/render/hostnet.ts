// The host side of a lab's wires, as commands: `lab up` runs them, qemu.sh prints them. Pure.
import type { Impairment, Nic, Node } from '../config/lab.js';

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
 * A tap per NIC, multiqueue when the NIC has several queues so QEMU can attach queues=N to it; the
 * host end gets the host address. QEMU opens a one-queue tap without IFF_MULTI_QUEUE, and the
 * kernel refuses that on a multi_queue tap (EINVAL), so one queue means a plain tap.
 */
/**
 * A QEMU node's tap, owned by the user QEMU runs as: once QEMU has dropped root, the guest turning
 * queues on and off (TUNSETQUEUE) is allowed only to the tap's owner.
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
    ...farEndCommands(netns, nic),
  ];
}

/**
 * Puts an existing far end in the lab namespace back as the spec wires it, so a running node's tap
 * or veth end follows a spec that moved its NIC between its own wire, a bridge and a relay.
 */
export function rewireCommands(netns: string, nic: Nic): Argv[] {
  if (nic.wire.kind === 'own')
    return [
      ['ip', '-n', netns, 'link', 'set', nic.labnsIf, 'nomaster'],
      ['ip', '-n', netns, 'addr', 'replace', `${nic.labns_ip}/${nic.prefix}`, 'dev', nic.labnsIf],
      ['ip', '-n', netns, 'link', 'set', nic.labnsIf, 'up'],
    ];
  const leave = nic.wire.kind === 'relay' ? [['ip', '-n', netns, 'link', 'set', nic.labnsIf, 'nomaster']] : [];
  return [['ip', '-n', netns, 'addr', 'flush', 'dev', nic.labnsIf], ...leave, ...farEndCommands(netns, nic)];
}

/** The far end of a NIC's wire in the lab namespace: the host address on its own wire, a port of its bridge, or a bare port its relay opens. */
function farEndCommands(netns: string, nic: Nic): Argv[] {
  if (nic.wire.kind === 'bridge')
    return [['ip', '-n', netns, 'link', 'set', nic.labnsIf, 'master', nic.wire.bridge, 'up']];
  if (nic.wire.kind === 'relay') return [['ip', '-n', netns, 'link', 'set', nic.labnsIf, 'up']];
  return hostAddressCommands(netns, nic);
}

export function hostAddressCommands(netns: string, nic: Nic): Argv[] {
  return [
    ['ip', '-n', netns, 'addr', 'add', `${nic.labns_ip}/${nic.prefix}`, 'dev', nic.labnsIf],
    ['ip', '-n', netns, 'link', 'set', nic.labnsIf, 'up'],
  ];
}

export function vmNetCommands(netns: string, node: Node, owner?: string): Argv[] {
  return node.nics.flatMap((nic) => tapCommands(netns, nic, owner));
}

/** A netns node's NIC: a veth from the lab namespace, whose end there has the labns address or is a port of the NIC's bridge; the node's end has the MAC and address the spec gives it. */
export function netnsNicCommands(labNs: string, nodeNs: string, nic: Nic): Argv[] {
  return [
    ['ip', '-n', labNs, 'link', 'add', nic.labnsIf, 'type', 'veth', 'peer', 'name', nic.name, 'netns', nodeNs],
    ['ip', '-n', nodeNs, 'link', 'set', nic.name, 'address', nic.mac],
    ...giveNicCommands(nodeNs, nic),
    ...farEndCommands(labNs, nic),
  ];
}

/**
 * A shared network's bridge: no STP and no forward delay, so a port forwards at once, and learned
 * MACs kept for an hour (ageing_time is in hundredths of a second), so no echo is flooded to every
 * member after the default five minutes.
 */
export function bridgeCommands(labNs: string, bridge: string): Argv[] {
  return [
    [
      'ip',
      '-n',
      labNs,
      'link',
      'add',
      bridge,
      'type',
      'bridge',
      'stp_state',
      '0',
      'forward_delay',
      '0',
      'ageing_time',
      '360000',
    ],
    ['ip', '-n', labNs, 'link', 'set', bridge, 'up'],
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

/** A link between two nodes' namespaces: one veth pair, an end in each with its NIC's name, MAC and address. */
export function nodeLinkCommands(a: { netns: string; nic: Nic }, b: { netns: string; nic: Nic }): Argv[] {
  return [
    ['ip', 'link', 'add', a.nic.name, 'netns', a.netns, 'type', 'veth', 'peer', 'name', b.nic.name, 'netns', b.netns],
    ...[a, b].flatMap(({ netns, nic }) => [
      ['ip', '-n', netns, 'link', 'set', nic.name, 'address', nic.mac],
      ...giveNicCommands(netns, nic),
    ]),
  ];
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

/** The only capabilities the relay keeps: raw packet sockets, and real-time scheduling when it may have it. */
const RELAY_CAPS = ['net_raw', 'sys_nice'];

/**
 * An impaired wire's relay between its ports in the lab namespace; it writes its own pidfile first,
 * so no run can lose track of it. It runs with only the capabilities it needs (setpriv), and without
 * real-time priority when the kernel's real-time throttling is off: a busy SCHED_FIFO loop could
 * then starve a CPU for good.
 */
export function relayArgv(
  netns: string,
  l2impair: string,
  ports: string[],
  impair: Impairment,
  pidfile: string,
  realtime = true,
): Argv {
  const caps = RELAY_CAPS.map((c) => `+${c}`).join(',');
  return [
    'ip',
    'netns',
    'exec',
    netns,
    'setpriv',
    `--bounding-set=-all,${caps}`,
    `--inh-caps=-all,${caps}`,
    `--ambient-caps=-all,${caps}`,
    '--no-new-privs',
    '--',
    l2impair,
    ...ports.flatMap((p) => ['-i', p]),
    '--delay-us',
    String(impair.delay_us),
    '--jitter-us',
    String(impair.jitter_us),
    '--loss',
    String(impair.loss),
    ...(impair.rate_mbit > 0 ? ['--rate-mbit', String(impair.rate_mbit)] : []),
    ...(realtime ? [] : ['--rt-priority', '0']),
    '--pidfile',
    pidfile,
  ];
}
