// The lab's topology from the spec alone, for `lab graph`: nodes with their kind, CPUs, NICs and
// apps; wires with their ends and addresses. One model, drawn as JSON, Mermaid or Graphviz DOT.
import type { Arch } from '../config/arch.js';
import { appSummary, labnsInterface, peerNic, type Impairment, type Lab, type Nic } from '../config/lab.js';

/** An impairment in words, as lab up and lab impair say it. */
export function describeImpairment(i: Impairment): string {
  const parts = [
    i.delay_us ? `delay ${i.delay_us} µs${i.jitter_us ? ` ± ${i.jitter_us} µs` : ''}` : '',
    i.loss ? `loss ${i.loss} %` : '',
    i.rate_mbit ? `rate ${i.rate_mbit} Mbit/s` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no impairment';
}

/** The lab namespace, where every NIC on no link has its own wire. */
export const LAB_NAMESPACE = 'labns';

export interface GraphNode {
  id: string;
  /** A node's kind, "lab namespace", or "network" for a shared segment. */
  kind: string;
  /** A network's bridge in the lab namespace. */
  bridge?: string;
  cpus?: number;
  /** A VM's guest architecture (a namespace's is this host's). */
  arch?: Arch;
  /** labnsIf: the NIC's interface in the lab namespace, where its wire passes there. */
  nics: Array<{ name: string; ip: string; mac: string; queues: number; labnsIf?: string }>;
  apps: Array<{
    name: string;
    program: string;
    nic: string;
    nics: string[];
    does: 'echo' | 'forward';
    /** In a few words, as lab validate says it (appSummary). */
    summary: string;
    lcores: string;
  }>;
}

export interface GraphEnd {
  node: string;
  /** The NIC's name, or for the lab namespace the interface there. */
  ifname: string;
  ip: string;
}

export interface GraphWire {
  /** own: a NIC's wire to the lab namespace; link: links[index]; network: a member's port on a shared segment. */
  kind: 'own' | 'link' | 'network';
  index?: number;
  ends: [GraphEnd, GraphEnd];
  /** What the spec's `impair` does to this link, or to the network a member's port is on. */
  impair?: string;
}

export interface TopologyGraph {
  lab: string;
  /** The node every check runs from. */
  tester: string;
  nodes: GraphNode[];
  wires: GraphWire[];
}

const endOf = (nic: Nic): GraphEnd => ({ node: nic.node, ifname: nic.name, ip: nic.ip });
/** Node names are at most 6 characters, so a network's id never clashes with one. */
const networkId = (name: string) => `net-${name}`;

export function topologyOf(lab: Lab): TopologyGraph {
  const nodes: GraphNode[] = lab.nodes.map((node) => ({
    id: node.name,
    kind: node.kind,
    cpus: node.cpus,
    ...(node.kind === 'qemu' ? { arch: node.arch } : {}),
    nics: node.nics.map((n) => ({
      name: n.name,
      ip: n.ip,
      mac: n.mac,
      queues: n.queues,
      ...(labnsInterface(n) ? { labnsIf: n.labnsIf } : {}),
    })),
    apps: lab.apps
      .filter((a) => a.node === node.name)
      .map((a) => ({
        name: a.name,
        program: a.program,
        nic: a.nic,
        nics: a.nics,
        does: a.does,
        summary: appSummary(a),
        lcores: a.lcoreList,
      })),
  }));
  const wires: GraphWire[] = [];
  for (const node of lab.nodes) {
    for (const nic of node.nics) {
      if (nic.peer.kind === 'labns') {
        wires.push({
          kind: 'own',
          ends: [endOf(nic), { node: LAB_NAMESPACE, ifname: nic.labnsIf, ip: `${nic.labns_ip}/${nic.prefix}` }],
        });
        continue;
      }
      const { wire } = nic;
      const relay = wire.kind === 'relay' ? lab.relays.find((r) => r.name === wire.relay) : undefined;
      const impair = relay ? { impair: describeImpairment(relay.impair) } : {};
      if (nic.peer.kind === 'network') {
        wires.push({
          kind: 'network',
          ends: [endOf(nic), { node: networkId(nic.peer.network), ifname: nic.labnsIf, ip: '' }],
          ...impair,
        });
        continue;
      }
      const peer = peerNic(lab, nic);
      const index = nic.peer.link;
      // Each link once, from its first end.
      if (peer && !wires.some((w) => w.kind === 'link' && w.index === index))
        wires.push({ kind: 'link', index, ends: [endOf(nic), endOf(peer)], ...impair });
    }
  }
  const usesHost = wires.some((w) => w.kind === 'own');
  const networks = lab.networks.map((n): GraphNode => ({
    id: networkId(n.name),
    kind: 'network',
    bridge: n.bridge,
    nics: [],
    apps: [],
  }));
  return {
    lab: lab.name,
    tester: lab.verify.from,
    nodes: [
      ...(usesHost ? [{ id: LAB_NAMESPACE, kind: 'lab namespace', nics: [], apps: [] }] : []),
      ...networks,
      ...nodes,
    ],
    wires,
  };
}

/** A node's label lines: name and kind, then a line per NIC and per app. */
function labelLines(g: TopologyGraph, n: GraphNode): string[] {
  const head =
    n.id === LAB_NAMESPACE
      ? `${n.id} (lab namespace)`
      : n.kind === 'network'
        ? `network ${n.id.slice('net-'.length)} (bridge ${n.bridge})`
        : `${n.id} (${n.kind}${n.arch ? ` ${n.arch}` : ''}, ${n.cpus} CPU${n.cpus === 1 ? '' : 's'})`;
  return [
    head + (g.tester === n.id ? ', tester' : ''),
    ...n.nics.map((x) => `${x.name} ${x.ip} ×${x.queues}q${x.labnsIf ? ` (labns ${x.labnsIf})` : ''}`),
    ...n.apps.map((a) => `app ${a.name}: ${a.summary}, lcores ${a.lcores}`),
  ];
}

const wireLabel = (w: GraphWire) =>
  (w.kind === 'network'
    ? `${w.ends[0].ifname} ${w.ends[0].ip}`
    : `${w.ends[0].ifname} ${w.ends[0].ip} ⇄ ${w.ends[1].ifname} ${w.ends[1].ip}`) + (w.impair ? ` (${w.impair})` : '');

/** Mermaid flowchart text: quotes become entities, the only character a quoted label cannot hold. */
export function graphMermaid(g: TopologyGraph): string {
  const q = (s: string) => s.replace(/"/g, '#quot;');
  const id = (node: string) => `n_${node.replace(/-/g, '_')}`;
  return [
    'graph LR',
    ...g.nodes.map((n) => `  ${id(n.id)}["${labelLines(g, n).map(q).join('<br/>')}"]`),
    ...g.wires.map((w) => `  ${id(w.ends[0].node)} ---|"${q(wireLabel(w))}"| ${id(w.ends[1].node)}`),
    '',
  ].join('\n');
}

/** Graphviz DOT, undirected: a wire has no direction. */
export function graphDot(g: TopologyGraph): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [
    `graph ${q(`lab ${g.lab}`)} {`,
    '  rankdir=LR;',
    '  node [shape=box, fontname="monospace"];',
    ...g.nodes.map((n) => `  ${q(n.id)} [label=${q(labelLines(g, n).join('\n')).replace(/\n/g, '\\n')}];`),
    ...g.wires.map((w) => `  ${q(w.ends[0].node)} -- ${q(w.ends[1].node)} [label=${q(wireLabel(w))}];`),
    '}',
    '',
  ].join('\n');
}
