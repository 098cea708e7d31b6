// How lab up and lab status describe a node: its spec beside what its driver knows of it.
import { labnsInterface, type Node } from '../config/lab.js';
import type { Arch } from '../config/arch.js';
import type { LabContext } from '../nodes/registry.js';
import type { LabState, NodeRecord } from '../state/store.js';

export interface NodeSummary {
  node: string;
  kind: string;
  netns: string;
  accel?: 'kvm' | 'tcg';
  accelReason?: string;
  sshPort?: number;
  /** Where lab reaches a VM a cluster runs (lab up --target kubevirt). */
  address?: string;
  /** labnsIf: the NIC's interface in the lab namespace (its tap or veth end), where its wire passes there; labns_ip: the far end's address on a wire of its own; link: the NIC at the other end of its link; network: the shared network it is on. */
  nics: Array<{
    name: string;
    queues: number;
    mac: string;
    ip: string;
    labnsIf?: string;
    labns_ip?: string;
    link?: string;
    network?: string;
    guestIf?: string;
    guestQueues?: number;
  }>;
}

export function nodeSummary(ctx: LabContext, node: Node, record: NodeRecord | undefined): NodeSummary {
  const facts = ctx.of(node.kind).facts(node, record);
  return {
    node: node.name,
    kind: node.kind,
    netns: facts.netns,
    ...(facts.accel ? { accel: facts.accel, accelReason: facts.accelReason, sshPort: facts.sshPort } : {}),
    ...(facts.address ? { address: facts.address } : {}),
    nics: node.nics.map((n) => {
      const g = facts.guestNics?.find((x) => x.name === n.name);
      const far =
        n.peer.kind === 'nic'
          ? { link: `${n.peer.node}.${n.peer.nic}` }
          : n.peer.kind === 'network'
            ? { network: n.peer.network }
            : { labns_ip: n.labns_ip };
      return {
        name: n.name,
        queues: n.queues,
        mac: n.mac,
        ip: n.ip,
        ...(labnsInterface(n) ? { labnsIf: n.labnsIf } : {}),
        ...far,
        ...(g ? { guestIf: g.ifname, guestQueues: g.combined } : {}),
      };
    }),
  };
}

/** What lab up says it did. */
export interface UpResult {
  lab: string;
  alreadyUp: boolean;
  netns: string;
  /** The guest images lab up made sure of, one per architecture of the nodes it started. */
  images?: Array<{ arch: Arch; dir: string; reused: boolean }>;
  nodes: NodeSummary[];
}

export function upResult(ctx: LabContext, state: LabState, alreadyUp: boolean, images?: UpResult['images']): UpResult {
  const { lab, paths } = ctx.session;
  return {
    lab: lab.name,
    alreadyUp,
    netns: paths.netns,
    ...(images?.length ? { images } : {}),
    nodes: lab.nodes.map((node) => nodeSummary(ctx, node, state.nodes[node.name])),
  };
}
