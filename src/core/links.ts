// The lab's wires between nodes: veth links, each from one node's NIC straight to another's, made
// once both nodes are up in the namespaces their drivers hold the ends in; and bridges in the lab
// namespace (networks, and links a node kind cannot take a veth end of), which the ports join.
import { findNic, findNode, type Lab, type Link, type Nic } from '../config/lab.js';
import type { Drivers } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { linkExists, runPlan } from '../host/netns.js';
import { bridgeCommands, nodeLinkCommands, rewireCommands } from '../render/hostnet.js';

interface LinkEnd {
  netns: string;
  nic: Nic;
}

/** The two node ends of a veth link; none where an end is the lab namespace (that NIC's own wire) or the link is bridged. */
function endsOf(drivers: Drivers, lab: Lab, link: Link): [LinkEnd, LinkEnd] | undefined {
  const ends = link.ends.map((e) => {
    if (e.kind === 'labns' || findNic(lab, e.node, e.nic)?.wire.kind !== 'veth') return undefined;
    const node = findNode(lab, e.node)!;
    const netns = drivers.of(node.kind).linkEnd(node);
    // The spec checks refuse links to kinds without link ends: reaching here is lab's own bug.
    if (!netns)
      throw new LabError({ code: 'STATE', message: `a ${node.kind} node cannot be linked (links[${link.index}])` });
    return { netns, nic: findNic(lab, e.node, e.nic)! };
  });
  return ends[0] && ends[1] ? [ends[0], ends[1]] : undefined;
}

/** Makes each bridge in the lab namespace that is not there yet (networks', bridged links'): the NICs' ports join them as their nodes start. */
export async function makeBridges(drivers: Drivers): Promise<void> {
  const { lab, paths, reporter } = drivers.session;
  const bridges = new Set(
    lab.nodes.flatMap((node) => node.nics.flatMap((n) => (n.wire.kind === 'bridge' ? [n.wire.bridge] : []))),
  );
  for (const bridge of bridges) {
    if (await linkExists(paths.netns, bridge)) continue;
    await reporter.step(`bridge ${bridge} in ${paths.netns}`, () => runPlan(bridgeCommands(paths.netns, bridge)));
  }
}

/** Every far end already in the lab namespace wired as the spec says now: its own wire's address, or its bridge. */
export async function rewireFarEnds(drivers: Drivers): Promise<void> {
  const { lab, paths } = drivers.session;
  for (const nic of lab.nodes.flatMap((node) => node.nics).filter((n) => n.wire.kind !== 'veth')) {
    if (await linkExists(paths.netns, nic.labnsIf)) await runPlan(rewireCommands(paths.netns, nic));
  }
}

/** The links between two nodes whose veth is not there: never made, or gone with a node's namespace. */
export async function missingLinks(drivers: Drivers): Promise<Array<[LinkEnd, LinkEnd]>> {
  const { lab } = drivers.session;
  const missing: Array<[LinkEnd, LinkEnd]> = [];
  for (const link of lab.links) {
    const ends = endsOf(drivers, lab, link);
    if (
      ends &&
      !((await linkExists(ends[0].netns, ends[0].nic.name)) && (await linkExists(ends[1].netns, ends[1].nic.name)))
    )
      missing.push(ends);
  }
  return missing;
}

/** Makes each missing link, once both its nodes are up. */
export async function makeLinks(drivers: Drivers): Promise<void> {
  for (const [a, b] of await missingLinks(drivers)) {
    await drivers.session.reporter.step(`link ${a.nic.node}.${a.nic.name} ⇄ ${b.nic.node}.${b.nic.name} (veth)`, () =>
      runPlan(nodeLinkCommands(a, b)),
    );
  }
}
