// The rules JSON Schema cannot express: references between parts of the spec, and what fits in what.
import { closest, type ErrorCode } from '../errors.js';
import { APP_PLACEHOLDERS, isPlaceholder, placeholdersIn } from './placeholders.js';
import {
  findNic,
  findNode,
  isLabApp,
  testerNic,
  RELAY_MAX_PORTS,
  type App,
  type Endpoint,
  type Impairment,
  type Lab,
  type Nic,
  type Node,
} from './lab.js';
import { ealArgProblems } from './eal-args.js';
import { inSubnet, isUnicastMac, parseCidr, parseIpv4, subnetOf, type Cidr } from './net.js';
import type { PathSegment } from './path.js';

export interface SemanticProblem {
  code: ErrorCode;
  at: PathSegment[];
  message: string;
  hint?: string;
}

/** Address ranges a data-plane wire cannot use: the kernel treats them specially or not at all. */
const RESERVED: Array<{ cidr: string; what: string }> = [
  { cidr: '0.0.0.0/8', what: '"this network" (0.0.0.0/8)' },
  { cidr: '127.0.0.0/8', what: 'loopback (127.0.0.0/8)' },
  { cidr: '169.254.0.0/16', what: 'link-local (169.254.0.0/16)' },
  { cidr: '224.0.0.0/4', what: 'multicast (224.0.0.0/4)' },
  { cidr: '240.0.0.0/4', what: 'reserved (240.0.0.0/4)' },
];

/** Longest the echo check may send: beyond it a typo in frames or pps runs for days. */
const MAX_ECHO_SECONDS = 3600;

/** Longest a ping check may run: a count and interval that looks harmless can otherwise run for hours. */
const MAX_PING_SECONDS = 600;

/** The rules every lab obeys, whatever its nodes' kinds; each kind adds its own (see LoadOptions.checks). */
export function checkLab(lab: Lab): SemanticProblem[] {
  const links = checkLinks(lab);
  return [
    ...lab.nodes.flatMap(checkNode),
    ...checkNames(lab),
    ...checkMacs(lab),
    ...links,
    // Wires are only known once every link names real NICs, each on one link.
    ...(links.length ? [] : checkSubnets(lab)),
    ...lab.apps.flatMap((app) => checkApp(lab, app)),
    ...checkVerify(lab),
    ...checkTester(lab),
    ...checkImpairments(lab),
    ...checkDpdk(lab),
  ];
}

export const problem = (at: PathSegment[], message: string, hint?: string): SemanticProblem => ({
  code: 'SPEC_SEMANTIC',
  at,
  message,
  ...(hint ? { hint } : {}),
});

/** Fields of a release build set beside source: distro would be silently ignored: say so instead. */
function checkDpdk(lab: Lab): SemanticProblem[] {
  const { source, build, version, sha256, url } = lab.spec.dpdk;
  if (source === 'release') return [];
  const hint =
    "The distribution's packages come built: set dpdk.source: release (with version and sha256), or remove the field.";
  const fields: Array<[PathSegment[], boolean]> = [
    [['dpdk', 'version'], version !== ''],
    [['dpdk', 'sha256'], sha256 !== ''],
    [['dpdk', 'url'], url !== ''],
    ...Object.entries(build).map(([k, v]): [PathSegment[], boolean] => [['dpdk', 'build', k], v.length > 0]),
  ];
  return fields
    .filter(([, set]) => set)
    .map(([at]) =>
      problem(
        at,
        `${at.join('.')} applies to a DPDK built from a release tarball, but dpdk.source is ${source}, so it would be ignored`,
        hint,
      ),
    );
}

/** A list of names for a hint, cut short: a spec of thousands of nodes must not make each message that long. */
export function someNames(names: string[], max = 8): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** "labns" is the lab namespace in links and verify.from ("host", its old name, still reads as it). */
const RESERVED_NODE_NAMES: ReadonlySet<string> = new Set(['labns', 'host']);

function checkNames(lab: Lab): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  // Interface names in the lab namespace: the loader keeps a NIC's off the bridges' and the others'
  // with a hash, so two alike here means two hashes met; a rename settles it.
  const owners = new Map<string, string>(lab.networks.map((n) => [n.bridge, `network ${n.name}'s bridge`]));
  for (const node of lab.nodes) {
    if (RESERVED_NODE_NAMES.has(node.name))
      out.push(
        problem(
          ['nodes', node.name],
          `a node may not be named "${node.name}": links and verify.from use labns (once called host) for the lab namespace`,
          'Rename the node, e.g. to node1.',
        ),
      );
    for (const nic of node.nics) {
      const owner = owners.get(nic.labnsIf);
      if (owner !== undefined)
        out.push(
          problem(
            ['nodes', node.name, 'nics', nic.index, 'name'],
            `${node.name}.${nic.name} would get the interface ${nic.labnsIf} in the lab namespace, which is already ${owner}'s`,
            'Rename the node or the NIC.',
          ),
        );
      owners.set(nic.labnsIf, `${node.name}.${nic.name}`);
    }
  }
  return out;
}

function checkNode(node: Node): SemanticProblem[] {
  const at: PathSegment[] = ['nodes', node.name];
  const out: SemanticProblem[] = [];
  if (node.memoryMiB < 256)
    out.push(problem([...at, 'memory'], `${node.memoryMiB} MiB is too little memory: a guest needs at least 256 MiB`));
  const names = new Set<string>();
  for (const nic of node.nics) {
    if (names.has(nic.name))
      out.push(
        problem([...at, 'nics', nic.index, 'name'], `NIC name "${nic.name}" is used twice in node ${node.name}`),
      );
    names.add(nic.name);
    out.push(...checkNic(node, nic));
  }
  return out;
}

function checkNic(node: Node, nic: Nic): SemanticProblem[] {
  const at: PathSegment[] = ['nodes', node.name, 'nics', nic.index];
  const out: SemanticProblem[] = [];
  if (nic.queues > node.cpus) {
    out.push(
      problem(
        [...at, 'queues'],
        `${nic.queues} queues but node ${node.name} has ${node.cpus} cpus`,
        'Each queue is served by one busy-polling lcore, and each lcore needs a CPU of its own: raise cpus or lower queues.',
      ),
    );
  }
  const cidr = parseCidr(nic.ip);
  if (!cidr) {
    out.push(
      problem(
        [...at, 'ip'],
        `"${nic.ip}" is not a valid IPv4 address with prefix: each of the four numbers must be 0-255, written without leading zeros (ip reads 010 as octal 8), and the prefix 0-32`,
      ),
    );
    return out;
  }
  const { network, broadcast } = subnetOf(cidr);
  const value = parseIpv4(cidr.address)!;
  const reserved = RESERVED.find((r) => overlaps(subnetOf(parseCidr(r.cidr)!), { network, broadcast }));
  if (reserved) {
    out.push(
      problem(
        [...at, 'ip'],
        `${nic.ip} lies in the ${reserved.what} range, which no data-plane wire can use`,
        'Use a private subnet such as 10.10.0.2/24.',
      ),
    );
  } else if (cidr.prefix < 8 || cidr.prefix > 30) {
    out.push(
      problem(
        [...at, 'ip'],
        `prefix /${cidr.prefix} is out of range: use /8 to /30, so the subnet holds the guest and the host side`,
      ),
    );
  } else if (value === network || value === broadcast) {
    out.push(
      problem(
        [...at, 'ip'],
        `${cidr.address} is the ${value === network ? 'network' : 'broadcast'} address of ${nic.ip}, not a host address`,
      ),
    );
  } else if (parseIpv4(nic.labns_ip) === undefined) {
    out.push(
      problem(
        [...at, 'labns_ip'],
        `"${nic.labns_ip}" is not a valid IPv4 address: four numbers 0-255, without leading zeros`,
      ),
    );
  } else if (
    !inSubnet(nic.labns_ip, cidr) ||
    parseIpv4(nic.labns_ip) === network ||
    parseIpv4(nic.labns_ip) === broadcast
  ) {
    out.push(problem([...at, 'labns_ip'], `${nic.labns_ip} is not a host address in ${nic.ip}'s subnet`));
  } else if (nic.labns_ip === cidr.address) {
    out.push(problem([...at, 'labns_ip'], `${nic.labns_ip} is the guest's own address`));
  }
  return out;
}

function checkMacs(lab: Lab): SemanticProblem[] {
  const seen = new Map<string, PathSegment[]>();
  const out: SemanticProblem[] = [];
  for (const node of lab.nodes) {
    for (const nic of node.nics) {
      const at: PathSegment[] = ['nodes', node.name, 'nics', nic.index, 'mac'];
      if (!isUnicastMac(nic.mac))
        out.push(
          problem(at, `${nic.mac} is not a unicast MAC: the first octet must be even and the address not all zero`),
        );
      const first = seen.get(nic.mac);
      if (first)
        out.push(
          problem(
            at,
            `MAC ${nic.mac} is also used by ${first.slice(0, 2).join('.')}.nics[${String(first[3])}]`,
            'Every NIC in a lab needs its own MAC; leave mac empty to have one derived.',
          ),
        );
      else seen.set(nic.mac, at);
    }
  }
  return out;
}

const nameOf = (e: Endpoint) => (e.kind === 'labns' ? 'labns' : `${e.node}.${e.nic}`);

/**
 * Every link end and network member a real NIC (or, for a link, the lab namespace), each NIC on
 * one wire at most, the two ends of a link distinct.
 */
function checkLinks(lab: Lab): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const taken = new Map<string, string>();
  const claim = (at: PathSegment[], end: Endpoint, wire: string) => {
    if (end.kind === 'labns') return;
    const node = findNode(lab, end.node);
    if (!node)
      out.push(
        problem(at, `node "${end.node}" does not exist`, `Known nodes: ${someNames(lab.nodes.map((v) => v.name))}.`),
      );
    else if (!node.nics.some((n) => n.name === end.nic))
      out.push(
        problem(
          at,
          `node ${node.name} has no NIC "${end.nic}"`,
          `Its NICs: ${node.nics.map((n) => n.name).join(', ')}.`,
        ),
      );
    const first = taken.get(nameOf(end));
    if (first !== undefined)
      out.push(
        problem(
          at,
          `${nameOf(end)} is already on ${first}`,
          'A NIC is on one wire: give the node another NIC for a second link or network.',
        ),
      );
    else taken.set(nameOf(end), wire);
  };
  for (const link of lab.links) {
    const at: PathSegment[] = ['links', link.index, 'endpoints'];
    link.ends.forEach((end, k) => claim([...at, k], end, `links[${link.index}]`));
    const [a, b] = link.ends;
    if (nameOf(a) === nameOf(b)) out.push(problem(at, `both ends are ${nameOf(a)}: a link joins two different ends`));
  }
  for (const net of lab.networks) {
    net.members.forEach((m, k) =>
      claim(['networks', net.name, 'members', k], { kind: 'nic', ...m }, `network ${net.name}`),
    );
  }
  return out;
}

/**
 * An impairment sits on a wire between nodes, where the relay has a port for each end: a NIC's own
 * wire to the lab namespace has no second port. And no frame may be due before it came.
 */
function checkImpairments(lab: Lab): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const check = (at: PathSegment[], impair: Impairment) => out.push(...impairmentProblems(at, impair));
  for (const link of lab.links.filter((l) => l.impair)) {
    const at: PathSegment[] = ['links', link.index, 'impair'];
    if (link.ends.some((e) => e.kind === 'labns')) {
      out.push(
        problem(
          at,
          `links[${link.index}] ends in the lab namespace (labns), where an impairment has no port to sit between`,
          "Impair a link between two nodes' NICs: give the checks a tester node (a netns node is enough), link it to this NIC, and set verify.from to it.",
        ),
      );
    }
    check(at, link.impair!);
  }
  for (const net of lab.networks.filter((n) => n.impair)) {
    if (net.members.length > RELAY_MAX_PORTS) {
      out.push(
        problem(
          ['networks', net.name, 'members'],
          `network ${net.name} has ${net.members.length} members, but its relay (l2impair) joins at most ${RELAY_MAX_PORTS}`,
          `Split it into networks of at most ${RELAY_MAX_PORTS} members, or drop impair from it.`,
        ),
      );
    }
    check(['networks', net.name, 'impair'], net.impair!);
  }
  return out;
}

/** What the schema cannot say of one impairment, in a spec or from lab impair's flags. */
export function impairmentProblems(at: PathSegment[], impair: Partial<Impairment>): SemanticProblem[] {
  if ((impair.jitter_us ?? 0) <= (impair.delay_us ?? 0)) return [];
  return [
    problem(
      [...at, 'jitter_us'],
      `jitter_us ${impair.jitter_us} is larger than delay_us ${impair.delay_us ?? 0}: some frames would leave before they came`,
      "Keep jitter_us at most delay_us, as each frame's delay is drawn from delay_us ± jitter_us.",
    ),
  ];
}

/** Where a wire's subnet sits among the others: subnets are aligned blocks, so two overlap only when one holds the other. */
class SubnetIndex<T> {
  private readonly exact = new Map<string, T>();
  private readonly within = new Map<string, T>();

  private static key(network: number, prefix: number): string {
    const size = 2 ** (32 - prefix);
    return `${Math.floor(network / size) * size}/${prefix}`;
  }

  /** A wire whose subnet overlaps this one: one that holds it, or one it holds. 33 lookups at most. */
  overlapping(cidr: Cidr): T | undefined {
    const { network } = subnetOf(cidr);
    for (let prefix = 0; prefix <= cidr.prefix; prefix++) {
      const holder = this.exact.get(SubnetIndex.key(network, prefix));
      if (holder !== undefined) return holder;
    }
    return this.within.get(SubnetIndex.key(network, cidr.prefix));
  }

  add(cidr: Cidr, value: T): void {
    const { network } = subnetOf(cidr);
    if (!this.exact.has(SubnetIndex.key(network, cidr.prefix)))
      this.exact.set(SubnetIndex.key(network, cidr.prefix), value);
    for (let prefix = 0; prefix <= cidr.prefix; prefix++) {
      const key = SubnetIndex.key(network, prefix);
      if (!this.within.has(key)) this.within.set(key, value);
    }
  }
}

interface WireNics {
  first: { node: Node; nic: Nic };
  cidr: Cidr;
  addresses: Map<string, { node: Node; nic: Nic }>;
}

/**
 * A wire is a NIC's own wire to the lab namespace, or a link between two NICs. The NICs on one
 * wire share its subnet, and no two wires' subnets overlap: the lab namespace and the nodes route
 * by subnet. Linear in the NICs: a spec of thousands is checked in well under a second.
 */
function checkSubnets(lab: Lab): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const byNic = new Map<Nic, WireNics>();
  const byNetwork = new Map<string, WireNics>();
  const subnets = new SubnetIndex<WireNics>();
  for (const node of lab.nodes) {
    for (const nic of node.nics) {
      const cidr = parseCidr(nic.ip);
      if (!cidr) continue;
      const at: PathSegment[] = ['nodes', node.name, 'nics', nic.index, 'ip'];
      const peer = nic.peer.kind === 'nic' ? findNic(lab, nic.peer.node, nic.peer.nic) : undefined;
      const net = nic.peer.kind === 'network' ? nic.peer.network : undefined;
      const wire = (peer && byNic.get(peer)) || (net !== undefined ? byNetwork.get(net) : undefined);
      if (wire) {
        const where = nic.peer.kind === 'nic' ? `links[${nic.peer.link}]` : `network ${net}`;
        const other = wire.first;
        const same = wire.addresses.get(cidr.address);
        if (!overlaps(subnetOf(cidr), subnetOf(wire.cidr)) || cidr.prefix !== wire.cidr.prefix) {
          out.push(
            problem(
              at,
              `${node.name}.${nic.name} (${nic.ip}) and ${other.node.name}.${other.nic.name} (${other.nic.ip}) are on ${where} but not in one subnet`,
              'The NICs on one wire share its subnet: give them addresses in the same one.',
            ),
          );
        } else if (same) {
          out.push(
            problem(
              at,
              `${node.name}.${nic.name} has the same address as ${same.node.name}.${same.nic.name} (${cidr.address}), on the same wire (${where})`,
            ),
          );
        }
        if (!same) wire.addresses.set(cidr.address, { node, nic });
        byNic.set(nic, wire);
        continue;
      }
      const clash = subnets.overlapping(cidr);
      if (clash) {
        const other = clash.first;
        out.push(
          problem(
            at,
            `subnet of ${nic.ip} overlaps ${other.node.name}.${other.nic.name} (${other.nic.ip}), which is on another wire`,
            'Every wire (a NIC of its own to the lab namespace, a link, or a network) needs its own subnet.',
          ),
        );
      }
      const created: WireNics = { first: { node, nic }, cidr, addresses: new Map([[cidr.address, { node, nic }]]) };
      subnets.add(cidr, created);
      byNic.set(nic, created);
      if (net !== undefined) byNetwork.set(net, created);
    }
  }
  return out;
}

/** A tester node must exist, and each app's NIC must be linked to one of its NICs. */
function checkTester(lab: Lab): SemanticProblem[] {
  const from = lab.verify.from;
  if (from === 'labns') {
    return lab.apps.flatMap((app) =>
      app.nics.flatMap((name, i) => {
        const nic = findNic(lab, app.node, name);
        if (!nic || nic.peer.kind === 'labns') return [];
        const on =
          nic.peer.kind === 'nic' ? `linked to ${nic.peer.node}.${nic.peer.nic}` : `on network ${nic.peer.network}`;
        const tester = nic.peer.kind === 'nic' ? nic.peer.node : '<a member node>';
        return [
          problem(
            nicPath(lab, app, i),
            `${app.node}.${name} is ${on}, so the lab namespace has no wire to it`,
            `Test it from a node on its wire: verify: { from: ${tester} }.`,
          ),
        ];
      }),
    );
  }
  const at: PathSegment[] = ['verify', 'from'];
  if (!findNode(lab, from))
    return [
      problem(
        at,
        `node "${from}" does not exist`,
        `Known nodes: ${someNames(lab.nodes.map((v) => v.name))}, or labns.`,
      ),
    ];
  const out: SemanticProblem[] = [];
  for (const app of lab.apps) {
    for (const name of app.nics) {
      const nic = findNic(lab, app.node, name);
      if (nic && !testerNic(lab, nic, from)) {
        out.push(
          problem(
            at,
            `app ${app.name} runs on ${app.node}.${name}, which has no link to ${from}`,
            `The tester sends from its end of the app NIC's wire: add a link such as { endpoints: [${from}.<nic>, ${app.node}.${name}] }.`,
          ),
        );
      }
    }
  }
  return out;
}

export function overlaps(
  a: { network: number; broadcast: number },
  b: { network: number; broadcast: number },
): boolean {
  return a.network <= b.broadcast && b.network <= a.broadcast;
}

function checkApp(lab: Lab, app: App): SemanticProblem[] {
  const at: PathSegment[] = ['apps', app.name];
  const node = findNode(lab, app.node);
  if (!node)
    return [
      problem(
        [...at, 'node'],
        `node "${app.node}" does not exist`,
        `Known nodes: ${someNames(lab.nodes.map((v) => v.name))}.`,
      ),
    ];
  const ports = portProblems(lab, app, node);
  if (ports.length) return ports;
  const nic = node.nics.find((n) => n.name === app.nic)!;
  if (typeof app.lcores === 'string') return [problem([...at, 'lcores'], app.lcores)];

  const out: SemanticProblem[] = [];
  out.push(...doesProblems(app, node, at));
  out.push(...ealArgProblems(app).map((p) => problem([...at, ...p.at], p.message, p.hint)));
  out.push(...buildProblems(app, at));
  out.push(...placeholderProblems(app, at));
  const missing = app.lcores.filter((id) => id >= node.cpus);
  if (missing.length) {
    out.push(
      problem(
        [...at, 'lcores'],
        `lcore ${missing.join(', ')} does not exist: node ${node.name} has ${node.cpus} cpus (0-${node.cpus - 1})`,
      ),
    );
  }
  if (app.program === 'testpmd' && app.lcores.length < 2) {
    out.push(
      problem(
        [...at, 'lcores'],
        `testpmd forwards on the lcores after its main one: it needs at least two, not ${app.lcores.length} (${app.lcoreList})`,
        node.cpus > 1 ? `Give it lcores: "0-1".` : `Give node ${node.name} two cpus and the app lcores: "0-1".`,
      ),
    );
  }
  if (app.program === 'l2_echo' && app.lcores.length !== 1) {
    out.push(
      problem(
        [...at, 'lcores'],
        `l2_echo runs on exactly one lcore, not ${app.lcores.length} (${app.lcoreList})`,
        'Use l2_multi_echo to spread the work over several lcores and queues.',
      ),
    );
  }
  if (app.program === 'l2_multi_echo' && app.lcores.length > nic.queues) {
    out.push(
      problem(
        [...at, 'lcores'],
        `l2_multi_echo on ${app.lcores.length} lcores (${app.lcoreList}) needs ${app.lcores.length} queues, but ${node.name}.${nic.name} has ${nic.queues}`,
        multiqueueHint(app.lcores.length, nic),
      ),
    );
  }
  return out;
}

/** Where the app's i-th NIC is named: nics[i], or nic. */
function nicPath(lab: Lab, app: App, i: number): PathSegment[] {
  return lab.spec.apps[app.name]?.nics.length ? ['apps', app.name, 'nics', i] : ['apps', app.name, 'nic'];
}

/** The app names its NICs one way, and each is one of its node's. */
function portProblems(lab: Lab, app: App, node: Node): SemanticProblem[] {
  const at: PathSegment[] = ['apps', app.name];
  const spec = lab.spec.apps[app.name]!;
  const its = `Its NICs: ${node.nics.map((n) => n.name).join(', ')}.`;
  if (spec.nic && spec.nics.length)
    return [problem([...at, 'nics'], 'give nic (one port) or nics (a port each), not both', its)];
  if (!spec.nic && !spec.nics.length)
    return [problem(at, `app ${app.name} names no NIC: give nic (one port) or nics (a port each)`, its)];
  return app.nics.flatMap((name, i) =>
    node.nics.some((n) => n.name === name)
      ? []
      : [problem(nicPath(lab, app, i), `node ${node.name} has no NIC "${name}"`, its)],
  );
}

/** What the app does to frames fits its program and its ports: an echo has one port, a forward two. */
function doesProblems(app: App, node: Node, at: PathSegment[]): SemanticProblem[] {
  if (app.does === 'forward' && isLabApp(app.program))
    return [
      problem(
        [...at, 'does'],
        `${app.program} echoes frames back out of the port they came in on; it does not forward`,
        'Say does: echo (the default), or run a program that forwards (program: testpmd with forward_mode: io or mac, or custom).',
      ),
    ];
  if (app.does === 'forward' && app.nics.length !== 2)
    return [
      problem(
        [...at, app.nics.length > 1 ? 'nics' : 'nic'],
        `an app that forwards takes frames in on one port and out of another: it needs two NICs, and ${app.name} names ${app.nics.length}`,
        node.nics.length < 2
          ? `Node ${node.name} has one NIC (${node.nics[0]?.name}): add a second to its nics, then give the app nics: [${node.nics[0]?.name}, <the second>].`
          : `Give it two of ${node.name}'s NICs: nics: [${node.nics
              .slice(0, 2)
              .map((n) => n.name)
              .join(', ')}].`,
      ),
    ];
  if (app.does === 'echo' && app.nics.length > 1)
    return [
      problem(
        [...at, 'nics'],
        `an app that echoes sends each frame back out of the port it came in on: it takes one NIC, not ${app.nics.length}`,
        'Give it nic: <one NIC>, or say does: forward if it forwards between them.',
      ),
    ];
  if (app.does === 'echo' && app.rewrite !== 'none')
    return [
      problem(
        [...at, 'rewrite'],
        `rewrite is what a forwarding app writes into the frames it forwards, and ${app.name} echoes (does: echo)`,
        'Remove rewrite, or say does: forward.',
      ),
    ];
  return [];
}

function placeholderProblems(app: App, at: PathSegment[]): SemanticProblem[] {
  const known = Object.keys(APP_PLACEHOLDERS);
  return app.args.flatMap((arg, i) =>
    placeholdersIn(arg)
      .filter((name) => !isPlaceholder(name))
      .map((name) => {
        const near = closest(name, known);
        return problem(
          [...at, 'args', i],
          `{${name}} is not a placeholder lab fills`,
          `${near ? `Did you mean {${near}}? ` : ''}lab fills ${known.map((k) => `{${k}}`).join(', ')}.`,
        );
      }),
  );
}

function buildProblems(app: App, at: PathSegment[]): SemanticProblem[] {
  const { build } = app;
  if (!build) return [];
  if (app.program !== 'custom')
    return [
      problem(
        [...at, 'build'],
        `build is for your own program, and ${app.name} runs lab's ${app.program}`,
        'Set program: custom, or remove build.',
      ),
    ];
  if (build.system === 'command' && !build.command.trim())
    return [
      problem(
        [...at, 'build', 'command'],
        'system: command needs the command that builds the program',
        'For example command: "cc -O2 -o fwd main.c $(pkg-config --cflags --libs libdpdk)".',
      ),
    ];
  return [];
}

function checkVerify(lab: Lab): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const { frames, pps } = lab.verify.echo;
  const seconds = frames / pps;
  if (seconds > MAX_ECHO_SECONDS) {
    out.push(
      problem(
        ['verify', 'echo', 'frames'],
        `${frames} frames at ${pps} pps would take ${duration(seconds)} to send; the echo check sends for at most ${MAX_ECHO_SECONDS / 60} minutes`,
        'Lower frames or raise pps.',
      ),
    );
  }
  const { count, interval } = lab.verify.ping;
  if (count * interval > MAX_PING_SECONDS) {
    out.push(
      problem(
        ['verify', 'ping', 'count'],
        `${count} pings ${interval} s apart would take ${((count * interval) / 60).toFixed(0)} minutes; a ping check runs for at most ${MAX_PING_SECONDS / 60} minutes`,
        'Lower count or interval.',
      ),
    );
  }
  const wanted = lab.verify.rss.min_queues;
  if (wanted > 0 && lab.verify.checks.includes('rss')) {
    for (const app of lab.apps.filter((a) => a.program === 'l2_multi_echo' && Array.isArray(a.lcores))) {
      const queues = (app.lcores as number[]).length;
      if (wanted > queues) {
        out.push(
          problem(
            ['verify', 'rss', 'min_queues'],
            `min_queues ${wanted} is more than the ${queues} queue${queues === 1 ? '' : 's'} app ${app.name} runs (one per lcore: ${app.lcoreList}), so the rss check could never pass`,
            `Lower min_queues to at most ${queues}, or give ${app.name} more lcores and its NIC more queues.`,
          ),
        );
      }
    }
  }
  return out;
}

function duration(seconds: number): string {
  if (seconds >= 86_400) return `${(seconds / 86_400).toFixed(1)} days`;
  return `${(seconds / 3600).toFixed(1)} hours`;
}

function multiqueueHint(lcores: number, nic: Nic): string {
  return [
    'l2_multi_echo gives each lcore its own RX/TX queue pair, so the NIC must offer at least one queue per lcore.',
    'This is the multiqueue pitfall of the original project: on a one-queue virtio NIC, DPDK fails with',
    `"nb_rx_queues=${lcores} > ${nic.queues}" and "-22 (Invalid argument)".`,
    `Fix: set queues: ${lcores} on the NIC (lab then renders a tap with queues=${lcores} and virtio-net-pci mq=on,vectors=${2 * lcores + 2}), or run fewer lcores.`,
  ].join('\n');
}
