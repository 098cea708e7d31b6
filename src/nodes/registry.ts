// The node kinds lab knows, by the name a spec gives them (nodes.<name>.kind), and the context a
// command works in: opened once per command, it holds the lab, its paths, the reporter, the state
// (read once, written through it), one driver per kind and what the wire kinds need.
import { findNode, type Lab, type Node } from '../config/lab.js';
import type { Arch } from '../config/arch.js';
import type { SemanticProblem } from '../config/semantic.js';
import { LabError } from '../errors.js';
import { imagePlan, type ImagePlan } from '../image/recipe.js';
import { readState, writeState, type LabState } from '../state/store.js';
import { imageCacheRoot, labPaths } from '../layout.js';
import type { WireContext } from '../wires/registry.js';
import type { NodeKinds } from '../config/load.js';
import { quiet, type Reporter } from '../progress.js';
import { netnsDriver } from './netns/driver.js';
import { validateNetnsNode } from './netns/validate.js';
import type { LabSession, NodeDriver } from './node.js';
import { clusterVmDriver } from './qemu/cluster.js';
import { qemuDriver } from './qemu/driver.js';
import { validateQemuNode } from './qemu/validate.js';
import { bareBootArgv, type Accel } from '../render/qemu.js';
import { qemuProfiles } from './qemu/files.js';

// What lab doctor and the boot benchmark ask of QEMU itself, not of a node.
export { probeAccelerators } from './qemu/doctor.js';
export type { AccelProbe } from './qemu/accel.js';

/** A bare boot of a QEMU node's image to its login prompt, for the boot benchmark. */
export function qemuBareBootArgv(
  node: Node,
  accel: Accel,
  boot: { disk: string; kernel: string; initrd: string },
): string[] {
  return bareBootArgv(node, qemuProfiles(node.arch), accel, boot);
}

/** Whether any of these nodes boots the lab's guest image (lab up builds it first; a report names it). */
export function bootsImage(ctx: LabContext, nodes: readonly Node[]): boolean {
  return nodes.some((n) => ctx.of(n.kind).bootsImage);
}

interface Kind {
  driver: (session: LabSession) => NodeDriver;
  /** Its driver where a KubeVirt cluster runs the node and lab only reaches it (lab up --target kubevirt). */
  onCluster?: (session: LabSession) => NodeDriver;
  /** The spec rules of this kind's nodes, checked with the lab's own (Lima's Validate). */
  validate: (node: Node, lab: Lab) => SemanticProblem[];
  /** Its NIC can be one end of a veth pair into its own namespace; else its links are bridged in the lab namespace. */
  directLinks: boolean;
}

const KINDS: Record<string, Kind> = {
  // A QEMU node's NIC is a tap in the lab namespace, which joins a bridge.
  qemu: { driver: qemuDriver, onCluster: clusterVmDriver, validate: validateQemuNode, directLinks: false },
  netns: { driver: netnsDriver, validate: validateNetnsNode, directLinks: true },
};

/** What the spec's loader needs of the node kinds: their rules, and which can end a veth link. */
export const nodeKinds: NodeKinds = {
  rules: (lab) => lab.nodes.flatMap((node) => KINDS[node.kind]?.validate(node, lab) ?? []),
  takesVethEnd: (kind) => KINDS[kind]?.directLinks ?? false,
};

export interface LabContext {
  session: LabSession;
  /** What the wire kinds work with, the node kinds' link ends included. */
  wires: WireContext;
  /** The driver of a node kind; one instance per command, so work its nodes share is done once. */
  of(kind: string): NodeDriver;
  /**
   * The lab's state, read on first use (under the lab's lock, in the verbs that take it) and kept;
   * undefined when the lab has none.
   */
  state(): LabState | undefined;
  /** Writes the state and keeps it as the one this command reads from then on. */
  saveState(state: LabState): void;
}

export function openContext(lab: Lab, reporter: Reporter, addresses?: LabSession['addresses']): LabContext {
  const paths = labPaths(lab);
  const images = new Map<Arch, ImagePlan>();
  const session: LabSession = {
    lab,
    paths,
    reporter,
    // Hashing the image recipe is for the verbs that boot or render a guest, not for every command.
    image(arch) {
      let plan = images.get(arch);
      if (!plan) images.set(arch, (plan = imagePlan(lab, imageCacheRoot(), arch)));
      return plan;
    },
    ...(addresses ? { addresses } : {}),
  };
  const made = new Map<string, NodeDriver>();
  let state: { value: LabState | undefined } | undefined;
  const ctx: LabContext = {
    session,
    state: () => (state ??= { value: stateOnTarget(lab, readState(paths)) }).value,
    saveState(next) {
      writeState(paths, next);
      state = { value: next };
    },
    wires: {
      lab,
      paths: session.paths,
      reporter,
      linkEnd: (name) => {
        const node = findNode(lab, name);
        return node && ctx.of(node.kind).linkEnd(node);
      },
    },
    of(kind) {
      const make = lab.target === 'kubevirt' ? KINDS[kind]?.onCluster : KINDS[kind]?.driver;
      if (!make)
        throw new LabError({
          code: 'STATE',
          message: `lab knows no node kind "${kind}"${lab.target === 'kubevirt' ? ' on a KubeVirt cluster' : ''}`,
          hint: `Known kinds: ${Object.entries(KINDS)
            .filter(([, k]) => lab.target !== 'kubevirt' || k.onCluster)
            .map(([name]) => name)
            .join(', ')}.`,
        });
      let driver = made.get(kind);
      if (!driver) made.set(kind, (driver = make(session)));
      return driver;
    },
  };
  return ctx;
}

/**
 * A state from lab up on one target, read by a command on the other, would have its drivers read
 * records they did not write (or stop VMs lab did not start): refused, naming the flag that fits.
 */
function stateOnTarget(lab: Lab, state: LabState | undefined): LabState | undefined {
  const made = state?.target ?? 'local';
  const asked = lab.target ?? 'local';
  if (!state || made === asked) return state;
  throw new LabError({
    code: 'STATE',
    message: `lab ${lab.name} was brought up ${made === 'kubevirt' ? 'with --target kubevirt, on VMs a cluster runs' : 'on this host'}, and this command asks for ${asked === 'kubevirt' ? '--target kubevirt' : 'this host'}`,
    hint:
      made === 'kubevirt'
        ? 'Give this command --target kubevirt too.'
        : 'Leave out --target kubevirt, or run lab down first.',
  });
}

/** The command's context when a verb is handed one (a verb within another), else a new one for `lab`. */
export function contextOf(labOrContext: Lab | LabContext, reporter: Reporter = quiet): LabContext {
  return 'session' in labOrContext ? labOrContext : openContext(labOrContext, reporter);
}
