// The wire kinds lab knows, by the kind config/lab.ts gives each NIC's wire. Adding a kind is a
// folder beside these and a line in KINDS (and its choice in config/lab.ts's wireOf).
import type { Nic, Wire } from '../config/lab.js';
import { LabError } from '../errors.js';
import { hasAddress, linkExists, runPlan } from '../host/netns.js';
import type { Undo } from '../host/undo.js';
import type { LabPaths } from '../layout.js';
import type { Argv } from '../render/hostnet.js';
import type { LabState } from '../state/store.js';
import { bridgeWire } from './bridge/bridge.js';
import { ownWire } from './own/own.js';
import { relayWire } from './relay/relay.js';
import { vethWire } from './veth/veth.js';
import type { WireContext, WireKind } from './wire.js';

export type { WireContext, WireKind };
// What lab impair and verify ask of impaired wires.
export { changeRelay, relayNamed, relayPortSent, wireImpairment, type WireImpairment } from './relay/process.js';
export { bridgesOf, bridgeCommands } from './bridge/bridge.js';

/** In the order lab up connects them. */
const KINDS: Record<Wire['kind'], WireKind> = {
  own: ownWire,
  bridge: bridgeWire,
  veth: vethWire,
  relay: relayWire,
};

export function wireKindOf(nic: Nic): WireKind {
  return KINDS[nic.wire.kind];
}

/** The commands that put a NIC's far end in the lab namespace on its wire. */
export function farEndCommands(labNetns: string, nic: Nic): Argv[] {
  return wireKindOf(nic).farEnd(labNetns, nic);
}

/**
 * Puts an existing far end back as the spec wires it now (lab up on a running lab whose spec moved
 * a NIC between its own wire, a bridge and a relay): bare, then on its wire.
 */
export function rewireCommands(labNetns: string, nic: Nic): Argv[] {
  return [
    ['ip', '-n', labNetns, 'addr', 'flush', 'dev', nic.labnsIf],
    ['ip', '-n', labNetns, 'link', 'set', nic.labnsIf, 'nomaster'],
    ...farEndCommands(labNetns, nic),
  ];
}

/** lab up, before the nodes: what their far ends join. */
export async function prepareWires(ctx: WireContext): Promise<void> {
  for (const kind of Object.values(KINDS)) await kind.prepare?.(ctx);
}

/** lab up, after the nodes: stale wires retired, far ends that kept running rewired, the rest connected. */
export async function connectWires(ctx: WireContext, state: LabState, undo: Undo): Promise<void> {
  for (const kind of Object.values(KINDS)) await kind.retire?.(ctx);
  for (const nic of ctx.lab.nodes.flatMap((node) => node.nics)) {
    if (await linkExists(ctx.paths.netns, nic.labnsIf)) await runPlan(rewireCommands(ctx.paths.netns, nic));
  }
  for (const kind of Object.values(KINDS)) await kind.connect?.(ctx, state, undo);
}

/** What lab up would still make or change of the wires; empty when they are as the spec says. */
export async function pendingWires(ctx: WireContext): Promise<string[]> {
  const out: string[] = [];
  for (const kind of Object.values(KINDS)) out.push(...((await kind.pending?.(ctx)) ?? []));
  return out;
}

/** lab down, before the nodes: what the wires run outside them. */
export async function removeWires(paths: LabPaths): Promise<string[]> {
  const out: string[] = [];
  for (const kind of Object.values(KINDS)) out.push(...((await kind.remove?.(paths)) ?? []));
  return out;
}

/** Where verify captures an app NIC's traffic with its tester. */
export function capturePoint(ctx: WireContext, nic: Nic, testerIf: string): { netns: string; ifname: string } {
  return wireKindOf(nic).capturePoint(ctx, nic, testerIf);
}

/** The lab namespace's end of a NIC's wire, if the lab namespace can test it there. */
export function labnsTesterEnd(nic: Nic): { ifname: string; ip: string } | undefined {
  return wireKindOf(nic).testerEnd?.(nic);
}

/**
 * On a cluster, the tester's interfaces are the pod's, which Multus made and named as lab names the
 * lab namespace's ends (lab render --target kubevirt writes the annotation): each must be there, and
 * gets its address as lab up gives it here. Says what it set.
 */
export async function adoptTesterEnds(ctx: WireContext): Promise<string[]> {
  const { lab, paths } = ctx;
  const ends = lab.nodes.flatMap((node) => node.nics.map((nic) => ({ nic, end: labnsTesterEnd(nic) })));
  const missing: string[] = [];
  const set: string[] = [];
  for (const { nic, end } of ends) {
    if (!end) continue;
    if (!(await linkExists(paths.netns, end.ifname))) {
      missing.push(end.ifname);
      continue;
    }
    if (await hasAddress(paths.netns, end.ifname, end.ip)) continue;
    await runPlan(wireKindOf(nic).farEnd(paths.netns, nic));
    set.push(`${end.ifname} ${end.ip}`);
  }
  if (missing.length)
    throw new LabError({
      code: 'ENV_HOST',
      message: `namespace ${paths.netns} has no interface ${missing.join(', ')}, the tester's end of ${missing.length > 1 ? 'those wires' : 'that wire'}`,
      hint: "On a cluster the tester pod's Multus annotation names them (lab render --target kubevirt writes it in tester.yaml); here, run lab up --target kubevirt inside the lab namespace.",
    });
  return set;
}
