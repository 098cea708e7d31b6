// The resolved lab: the spec with defaults applied and every derived value worked out, so nothing
// downstream re-derives (vectors, addresses, lcores, interface names).
import { defaultArch, type Arch } from './arch.js';
import { dirname, resolve } from 'node:path';
import { LabError, type Problem } from '../errors.js';
import { bridgeName, labnsIfNames, linkBridgeName } from '../layout.js';
import { formatLcores, parseLcores } from './lcores.js';
import { defaultLabnsIp, derivedMac, parseCidr } from './net.js';
import type { AppSpec, DpdkSpec, ImpairSpec, LabSpec, NicSpec, VerifySpec, NodeSpec } from './spec-types.js';

export interface Nic extends NicSpec {
  node: string;
  index: number;
  /** virtio-net MSI-X vectors: one per RX and TX queue, one for config, one for the control queue. */
  vectors: number;
  address: string;
  prefix: number;
  /** The lab namespace's interface for this NIC: a tap (qemu) or a veth end (netns); on a link to another node's NIC, unused. */
  labnsIf: string;
  /** The far end of the NIC's wire: the lab namespace (its own wire), a NIC of another node on a link, or a shared network. */
  peer: NicPeer;
  /**
   * The NIC's wire kind (src/wires/), chosen once when the lab is loaded: its own (the far end in
   * the lab namespace has the labns address), a veth pair straight to the linked node, a port of a
   * bridge in the lab namespace (a network's, or a link's where a node kind cannot take a veth
   * end), or a port of an impaired wire's relay there.
   */
  readonly wire: Wire;
  /** On a KubeVirt cluster, an SR-IOV virtual function (cluster.sriov.nics), not a virtio NIC. */
  vf?: boolean;
}

export type Wire =
  { kind: 'own' } | { kind: 'veth' } | { kind: 'bridge'; bridge: string } | { kind: 'relay'; relay: string };

export type NicPeer =
  | { kind: 'labns' }
  | { kind: 'nic'; node: string; nic: string; link: number; impaired: boolean }
  | { kind: 'network'; network: string; bridge: string; impaired: boolean };

export interface Network {
  name: string;
  /** The bridge in the lab namespace. */
  bridge: string;
  members: Array<{ node: string; nic: string }>;
  impair?: Impairment;
}

/** An impairment with every field: the spec's, its defaults filled in, or one lab impair set. */
export type Impairment = Required<NonNullable<ImpairSpec>>;

/** A link's end as written: a node's NIC, or the lab namespace. */
export type Endpoint = { kind: 'labns' } | { kind: 'nic'; node: string; nic: string };

export interface Link {
  index: number;
  ends: [Endpoint, Endpoint];
  impair?: Impairment;
}

/**
 * An impaired wire (a link or network with `impair`): l2impair in the lab namespace joins its
 * NICs' far ends there, in place of a veth pair or bridge, since this host's kernel may lack netem.
 */
export interface Relay {
  /** The wire's name in the lab namespace (lk<N>, br-<network>), which names its files too. */
  name: string;
  /** The wire as a person names it: `links[N] a.x ⇄ b.y`, `network lan`. */
  label: string;
  /** Where the spec sets it. */
  at: Array<string | number>;
  ports: Array<{ node: string; nic: string }>;
  impair: Impairment;
}

export interface Node extends Omit<NodeSpec, 'nics' | 'memory' | 'arch'> {
  name: string;
  index: number;
  /** The guest's architecture: the spec's, else this host's. */
  arch: Arch;
  memoryMiB: number;
  hugepagesMiB: number;
  nics: Nic[];
  /** A NIC is bound to vfio-pci, which needs a virtual IOMMU in a VM (q35 + intel-iommu); else the plain pc machine. */
  iommu: boolean;
}

export interface App extends Omit<AppSpec, 'lcores' | 'build'> {
  name: string;
  /** Resolved lcore ids, or the parse error for the checks to report. */
  lcores: number[] | string;
  lcoreList: string;
  /** The spec's build, with its source folder made absolute (relative to the spec's folder). */
  build: (NonNullable<AppSpec['build']> & { dir: string }) | null;
}

export interface Lab {
  file: string;
  name: string;
  spec: LabSpec;
  image: LabSpec['image'];
  dpdk: DpdkSpec;
  nodes: Node[];
  links: Link[];
  networks: Network[];
  relays: Relay[];
  apps: App[];
  verify: VerifySpec;
  /** Where it runs, as the command loaded it: absent on this host, 'kubevirt' where a cluster runs its VMs. */
  target?: Target;
  /** What the spec says that lab still reads but would say otherwise (old words), each located. */
  warnings: Problem[];
}

/** Where a lab runs: this host, or a Kubernetes cluster with KubeVirt and Multus (targets.ts). */
export type Target = 'local' | 'kubevirt';

/** Guest NIC drivers that do DMA through an IOMMU, so a VM with one needs a virtual IOMMU. */
const DMA_THROUGH_IOMMU: ReadonlySet<NicSpec['os_driver_for_dpdk']> = new Set(['vfio-pci']);

/** Whether a VM with these NICs needs a virtual IOMMU. */
export function needsIommu(nics: ReadonlyArray<Pick<NicSpec, 'os_driver_for_dpdk'>>): boolean {
  return nics.some((n) => DMA_THROUGH_IOMMU.has(n.os_driver_for_dpdk));
}

export function parseEndpoint(text: string): Endpoint {
  const [node, nic] = text.split('.');
  return nic === undefined ? { kind: 'labns' } : { kind: 'nic', node: node!, nic };
}

/**
 * Resolves the spec. `takesVethEnd` says which node kinds can hold one end of a veth link in their
 * own namespace (the node kinds know; this floor does not): a link between two such nodes is a veth
 * pair, any other a bridge in the lab namespace. Each NIC's wire is chosen here, once.
 */
export function resolveLab(spec: LabSpec, file: string, takesVethEnd: (kind: string) => boolean): Lab {
  const links = spec.links.map((l, index): Link => ({
    index,
    ends: [parseEndpoint(l.endpoints[0]!), parseEndpoint(l.endpoints[1]!)],
    ...(l.impair ? { impair: l.impair } : {}),
  }));
  const networks = Object.entries(spec.networks).map(([name, n]): Network => ({
    name,
    bridge: bridgeName(name),
    members: n.members
      .map((m) => parseEndpoint(m))
      .flatMap((e) => (e.kind === 'nic' ? [{ node: e.node, nic: e.nic }] : [])),
    ...(n.impair ? { impair: n.impair } : {}),
  }));
  const peers = peersOf(links, networks);
  const vethEnd = (node: string) => takesVethEnd(spec.nodes[node]?.kind ?? '');
  const ifNames = labnsIfNames(
    Object.entries(spec.nodes).flatMap(([node, n]) => n.nics.map((nic) => ({ node, nic: nic.name }))),
    new Set(networks.map((n) => n.bridge)),
  );
  const nodes = Object.entries(spec.nodes).map(([name, node], index) =>
    resolveNode(spec.name, name, index, node, { peers, vethEnd, ifNames }),
  );
  const byName = new Map(nodes.map((v) => [v.name, v]));
  return {
    file,
    name: spec.name,
    spec,
    image: spec.image,
    dpdk: {
      ...spec.dpdk,
      url: spec.dpdk.url || (spec.dpdk.version ? `https://fast.dpdk.org/rel/dpdk-${spec.dpdk.version}.tar.xz` : ''),
    },
    nodes,
    links,
    networks,
    relays: relaysOf(links, networks),
    apps: Object.entries(spec.apps).map(([name, app]) => resolveApp(name, app, byName.get(app.node), dirname(file))),
    verify: spec.verify,
    warnings: [],
  };
}

/** What a NIC's wire is made from: its peer, whether both ends take a veth, and its interface names in the lab namespace. */
interface Wiring {
  peers: Map<string, NicPeer>;
  vethEnd: (node: string) => boolean;
  ifNames: Map<string, string>;
}

function resolveNode(lab: string, name: string, index: number, node: NodeSpec, wiring: Wiring): Node {
  const { nics, memory, arch, ...rest } = node;
  return {
    ...rest,
    name,
    index,
    arch: arch || defaultArch(),
    memoryMiB: memoryMiB(memory),
    hugepagesMiB: node.hugepages.count * (node.hugepages.size === '1G' ? 1024 : 2),
    nics: nics.map((nic, i) => resolveNic(lab, name, i, nic, wiring)),
    iommu: needsIommu(nics),
  };
}

/** Ports one relay joins: l2impair's PORTS_MAX (native/l2impair.c). */
export const RELAY_MAX_PORTS = 8;

export const NO_IMPAIRMENT: Impairment = { delay_us: 0, jitter_us: 0, loss: 0, rate_mbit: 0 };

/** The impaired wires: links between two nodes' NICs and networks that have `impair`. */
function relaysOf(links: Link[], networks: Network[]): Relay[] {
  const nics = (ends: Endpoint[]) => ends.flatMap((e) => (e.kind === 'nic' ? [{ node: e.node, nic: e.nic }] : []));
  return [
    ...links
      .filter((l) => l.impair && nics(l.ends).length === 2)
      .map((l): Relay => ({
        name: linkBridgeName(l.index),
        label: `links[${l.index}] ${l.ends.map((e) => (e.kind === 'nic' ? `${e.node}.${e.nic}` : 'labns')).join(' ⇄ ')}`,
        at: ['links', l.index, 'impair'],
        ports: nics(l.ends),
        impair: { ...NO_IMPAIRMENT, ...l.impair },
      })),
    ...networks
      .filter((n) => n.impair)
      .map((n): Relay => ({
        name: n.bridge,
        label: `network ${n.name}`,
        at: ['networks', n.name, 'impair'],
        ports: n.members,
        impair: { ...NO_IMPAIRMENT, ...n.impair },
      })),
  ];
}

/**
 * Each NIC's far end, by "node.nic": the first link with it on one end and another node's NIC on the
 * other, else its network (the checks refuse a NIC on two). Built once, so resolving is linear.
 */
function peersOf(links: Link[], networks: Network[]): Map<string, NicPeer> {
  const peers = new Map<string, NicPeer>();
  const add = (key: string, peer: NicPeer) => peers.has(key) || peers.set(key, peer);
  for (const link of links) {
    const [a, b] = link.ends;
    if (a.kind !== 'nic' || b.kind !== 'nic') continue;
    add(`${a.node}.${a.nic}`, {
      kind: 'nic',
      node: b.node,
      nic: b.nic,
      link: link.index,
      impaired: Boolean(link.impair),
    });
    add(`${b.node}.${b.nic}`, {
      kind: 'nic',
      node: a.node,
      nic: a.nic,
      link: link.index,
      impaired: Boolean(link.impair),
    });
  }
  for (const net of networks) {
    for (const m of net.members)
      add(`${m.node}.${m.nic}`, {
        kind: 'network',
        network: net.name,
        bridge: net.bridge,
        impaired: Boolean(net.impair),
      });
  }
  return peers;
}

function resolveNic(lab: string, node: string, index: number, nic: NicSpec, { peers, vethEnd, ifNames }: Wiring): Nic {
  const cidr = parseCidr(nic.ip);
  const peer = peers.get(`${node}.${nic.name}`) ?? { kind: 'labns' };
  return {
    ...nic,
    node,
    index,
    mac: (nic.mac || derivedMac(`${lab}/${node}/${nic.name}`)).toLowerCase(),
    vectors: 2 * nic.queues + 2,
    address: cidr?.address ?? nic.ip,
    prefix: cidr?.prefix ?? 0,
    labns_ip: nic.labns_ip || (cidr ? defaultLabnsIp(cidr) : ''),
    labnsIf: ifNames.get(`${node}.${nic.name}`)!,
    peer,
    wire: wireOf(peer, peer.kind === 'nic' && vethEnd(node) && vethEnd(peer.node)),
  };
}

/** The NIC's interface in the lab namespace; none for a veth link, which goes straight between two node namespaces. */
export function labnsInterface(nic: Nic): string | undefined {
  return nic.wire.kind === 'veth' ? undefined : nic.labnsIf;
}

/** The NIC's wire kind (src/wires/): its own, an impaired wire's relay, a veth pair between two nodes that both take one, else a bridge. */
function wireOf(peer: NicPeer, veth: boolean): Wire {
  if (peer.kind === 'labns') return { kind: 'own' };
  const name = peer.kind === 'nic' ? linkBridgeName(peer.link) : peer.bridge;
  if (peer.impaired) return { kind: 'relay', relay: name };
  return veth ? { kind: 'veth' } : { kind: 'bridge', bridge: name };
}

function resolveApp(name: string, app: AppSpec, node: Node | undefined, specDir: string): App {
  const { lcores, build, ...rest } = app;
  // nics, when given, in place of nic: the first is port 0's, the one an app of one port takes.
  const nics = app.nics.length ? app.nics : [app.nic];
  const nic = node?.nics.find((n) => n.name === nics[0]);
  const ids = lcores ? parseLcores(lcores) : defaultLcores(app.program, node?.cpus ?? 1, nic?.queues ?? 1);
  return {
    ...rest,
    name,
    nic: nics[0]!,
    nics,
    ...(app.program === 'testpmd' ? TESTPMD_MODES[app.forward_mode] : {}),
    lcores: ids,
    lcoreList: Array.isArray(ids) ? formatLcores(ids) : lcores,
    build: build ? { ...build, dir: resolve(specDir, build.source) } : null,
  };
}

/** An app in a few words: its program (testpmd's mode) and where it takes frames in and sends them out. */
export function appSummary(app: Pick<App, 'program' | 'forward_mode' | 'does' | 'node' | 'nics'>): string {
  const program = app.program === 'testpmd' ? `testpmd ${app.forward_mode}` : app.program;
  const where = app.nics.map((n) => `${app.node}.${n}`);
  return app.does === 'forward' ? `${program} forwarding between ${where.join(' and ')}` : `${program} on ${where[0]}`;
}

/** lab's own apps, which print a ready line and take -p. */
export function isLabApp(program: AppSpec['program']): boolean {
  return program === 'l2_echo' || program === 'l2_multi_echo';
}

/** What testpmd does to frames in each forward mode: its forward_mode says, not does and rewrite. */
export const TESTPMD_MODES: Record<AppSpec['forward_mode'], Pick<AppSpec, 'does' | 'rewrite'>> = {
  macswap: { does: 'echo', rewrite: 'none' },
  io: { does: 'forward', rewrite: 'none' },
  mac: { does: 'forward', rewrite: 'l2fwd' },
};

/**
 * One lcore per queue (l2_multi_echo), testpmd's main lcore and one that forwards, else one;
 * starting at CPU 1 when there is room, so CPU 0 stays free for the guest's kernel and sshd.
 */
function defaultLcores(program: AppSpec['program'], cpus: number, queues: number): number[] {
  const count = program === 'l2_multi_echo' ? queues : program === 'testpmd' ? 2 : 1;
  const first = cpus > count ? 1 : 0;
  return Array.from({ length: count }, (_, i) => first + i);
}

export function memoryMiB(memory: number | string): number {
  if (typeof memory === 'number') return memory;
  const m = /^(\d+) ?(M|G|MiB|GiB)$/.exec(memory);
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2]!.startsWith('G') ? 1024 : 1);
}

const nodeIndex = new WeakMap<Lab, Map<string, Node>>();

/** By name, through an index built on first use: the checks look nodes up per NIC, link and app, and must stay linear. */
export function findNode(lab: Lab, name: string): Node | undefined {
  let index = nodeIndex.get(lab);
  if (!index || index.size !== lab.nodes.length)
    nodeIndex.set(lab, (index = new Map(lab.nodes.map((v) => [v.name, v]))));
  return index.get(name);
}

export function findNic(lab: Lab, node: string, nic: string): Nic | undefined {
  return findNode(lab, node)?.nics.find((n) => n.name === nic);
}

/** The NIC at the far end of a NIC's link, if it is on one. */
export function peerNic(lab: Lab, nic: Nic): Nic | undefined {
  return nic.peer.kind === 'nic' ? findNic(lab, nic.peer.node, nic.peer.nic) : undefined;
}

/** Node `from`'s NIC on the same wire as `nic` (the other end of its link, or a member of its network). */
export function testerNic(lab: Lab, nic: Nic, from: string): Nic | undefined {
  const { peer } = nic;
  if (peer.kind === 'nic') return peer.node === from ? findNic(lab, peer.node, peer.nic) : undefined;
  if (peer.kind === 'network')
    return findNode(lab, from)?.nics.find((n) => n.peer.kind === 'network' && n.peer.network === peer.network);
  return undefined;
}

export interface AppPlace {
  app: App;
  node: Node;
  /** Its first NIC (port 0's, the only one of an app of one port). */
  nic: Nic;
  /** Every NIC it takes, in the spec's order. */
  nics: Nic[];
}

/** An app by name with the VM and NIC it runs on; a usage error names the lab's apps when there is none. */
export function placeOf(lab: Lab, name: string): AppPlace {
  const app = lab.apps.find((a) => a.name === name);
  if (!app) {
    throw new LabError({
      code: 'USAGE',
      message: `lab ${lab.name} has no app "${name}"`,
      hint: `Its apps: ${lab.apps.map((a) => a.name).join(', ') || 'none'}.`,
    });
  }
  // The semantic checks guarantee both exist unless --force skipped them.
  const node = findNode(lab, app.node);
  const nics = app.nics.map((n) => findNic(lab, app.node, n));
  const missing = app.nics.find((_, i) => !nics[i]);
  if (!node || missing !== undefined)
    throw new LabError({ code: 'USAGE', message: `app ${name} names ${app.node}.${missing}, which does not exist` });
  return { app, node, nic: nics[0]!, nics: nics as Nic[] };
}

/** A VM by name, or a usage error that lists the lab's VMs. */
export function nodeNamed(lab: Lab, name: string): Node {
  const node = findNode(lab, name);
  if (!node)
    throw new LabError({
      code: 'USAGE',
      message: `lab ${lab.name} has no node "${name}"`,
      hint: `Its nodes: ${lab.nodes.map((v) => v.name).join(', ')}.`,
    });
  return node;
}
