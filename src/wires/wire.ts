// The wire family: how a NIC is joined to what is at the other end. Each kind is one folder below
// src/wires/, behind this interface, and is registered in registry.ts; the spec's loader chooses a
// NIC's wire kind once (config/lab.ts), from its peer and what its nodes' kinds can end.
//
// lab up makes the nodes, then the wires; lab down takes the wires, then the nodes (containerlab's
// order): a wire kind's prepare() runs before the nodes start only for what their NICs' far ends
// must find there (a bridge), and everything else it makes (a veth pair, a relay) waits for them.
import type { Lab, Nic, Wire } from '../config/lab.js';
import type { Undo } from '../host/undo.js';
import type { LabPaths } from '../layout.js';
import type { Reporter } from '../progress.js';
import type { Argv } from '../render/hostnet.js';
import type { LabState } from '../state/store.js';

/** What a wire kind works with for the length of one command. */
export interface WireContext {
  lab: Lab;
  paths: LabPaths;
  reporter: Reporter;
  /** The namespace that holds a node's end of a link, as its kind says; undefined where it has none. */
  linkEnd(node: string): string | undefined;
}

export interface WireKind {
  readonly kind: Wire['kind'];
  /** The wire of one NIC as a person reads it. */
  describe(nic: Nic): string;
  /** The lab namespace's commands that put a NIC's far end there (its tap or veth end) on this wire. */
  farEnd(labNetns: string, nic: Nic): Argv[];
  /** Where verify captures the traffic between an app's NIC and its tester (whose interface is `testerIf`). */
  capturePoint(ctx: WireContext, nic: Nic, testerIf: string): { netns: string; ifname: string };
  /** The lab namespace's end of the wire, where it can test the NIC (verify.from: labns); kinds without one leave it out. */
  testerEnd?(nic: Nic): { ifname: string; ip: string };
  /** lab up, before the nodes start: what their far ends join. The lab namespace's removal takes it. */
  prepare?(ctx: WireContext): Promise<void>;
  /** lab up, before far ends are rewired: stops what runs for a wire of this kind the spec no longer has. */
  retire?(ctx: WireContext): Promise<void>;
  /** lab up, once the nodes are up: what joins them, each part registered with `undo`. */
  connect?(ctx: WireContext, state: LabState, undo: Undo): Promise<void>;
  /** The spec's wires of this kind that are not there or not as the spec says (lab up's "already up"). */
  pending?(ctx: WireContext): Promise<string[]>;
  /** lab down, before the nodes: what this kind runs outside them (a half-made lab's too); says what it removed. */
  remove?(paths: LabPaths): Promise<string[]>;
}
