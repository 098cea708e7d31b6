// A link between two nodes whose kinds both take a veth end: one veth pair, an end in each node's
// namespace with its NIC's name, MAC and address. It never passes through the lab namespace, so it
// is made once both nodes are up, and goes with their namespaces.
import { findNic, type Link, type Nic } from '../../config/lab.js';
import { LabError } from '../../errors.js';
import { linkExists, runPlan } from '../../host/netns.js';
import { giveNicCommands, type Argv } from '../../render/hostnet.js';
import type { WireContext, WireKind } from '../wire.js';

interface LinkEnd {
  netns: string;
  nic: Nic;
}

export function vethLinkCommands(a: LinkEnd, b: LinkEnd): Argv[] {
  return [
    ['ip', 'link', 'add', a.nic.name, 'netns', a.netns, 'type', 'veth', 'peer', 'name', b.nic.name, 'netns', b.netns],
    ...[a, b].flatMap(({ netns, nic }) => [
      ['ip', '-n', netns, 'link', 'set', nic.name, 'address', nic.mac],
      ...giveNicCommands(netns, nic),
    ]),
  ];
}

/** The two ends of a veth link; none where the link is not a veth (an end is the lab namespace, or it is bridged). */
function endsOf(ctx: WireContext, link: Link): [LinkEnd, LinkEnd] | undefined {
  const ends = link.ends.map((e) => {
    if (e.kind === 'labns') return undefined;
    const nic = findNic(ctx.lab, e.node, e.nic);
    if (nic?.wire.kind !== 'veth') return undefined;
    const netns = ctx.linkEnd(e.node);
    // The loader gives a veth only to links whose nodes' kinds take its ends: reaching here is lab's own bug.
    if (!netns) throw new LabError({ code: 'STATE', message: `node ${e.node} has no link end (links[${link.index}])` });
    return { netns, nic };
  });
  return ends[0] && ends[1] ? [ends[0], ends[1]] : undefined;
}

/** The links whose veth is not there: never made, or gone with a node's namespace. */
async function missingLinks(ctx: WireContext): Promise<Array<[LinkEnd, LinkEnd]>> {
  const missing: Array<[LinkEnd, LinkEnd]> = [];
  for (const link of ctx.lab.links) {
    const ends = endsOf(ctx, link);
    if (
      ends &&
      !((await linkExists(ends[0].netns, ends[0].nic.name)) && (await linkExists(ends[1].netns, ends[1].nic.name)))
    )
      missing.push(ends);
  }
  return missing;
}

const label = ([a, b]: [LinkEnd, LinkEnd]) => `${a.nic.node}.${a.nic.name} ⇄ ${b.nic.node}.${b.nic.name}`;

export const vethWire: WireKind = {
  kind: 'veth',
  describe: (nic) =>
    nic.peer.kind === 'nic' ? `a veth pair to ${nic.peer.node}.${nic.peer.nic}` : 'a veth pair to another node',
  // Both ends are in node namespaces: nothing of it is in the lab namespace.
  farEnd: () => [],
  // The link never passes the lab namespace: capture on the tester's end.
  capturePoint: (ctx, _nic, testerIf) => ({
    netns: ctx.linkEnd(ctx.lab.verify.from) ?? ctx.paths.netns,
    ifname: testerIf,
  }),
  async connect(ctx) {
    for (const ends of await missingLinks(ctx))
      await ctx.reporter.step(`link ${label(ends)} (veth)`, () => runPlan(vethLinkCommands(...ends)));
  },
  pending: async (ctx) => (await missingLinks(ctx)).map((ends) => `link ${label(ends)}`),
};
