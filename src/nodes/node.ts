// The node life cycle: one interface, one implementation per kind in src/nodes/<kind>/, so the
// verbs (up, down, status, run, verify, ssh, logs, render) never ask what kind a node is. Adding a
// kind means adding a folder and registering it in registry.ts.
import type { Exec } from '../host/exec.js';
import type { AppTarget } from '../apps/target.js';
import type { AppLaunch } from '../apps/command.js';
import type { App, Lab, Nic, Node } from '../config/lab.js';
import type { Arch } from '../config/arch.js';
import type { Undo } from '../host/undo.js';
import type { ImagePlan } from '../image/recipe.js';
import type { ClusterGuest } from '../render/kubevirt.js';
import type { LabPaths } from '../layout.js';
import type { Reporter } from '../progress.js';
import type { AppRecord, LabState, NodeRecord } from '../state/store.js';

/** What a driver works with for the length of one command. */
export interface LabSession {
  lab: Lab;
  paths: LabPaths;
  reporter: Reporter;
  /** The lab's guest image for an architecture, planned once per command; lab up builds it before a node that boots it starts. */
  image(arch: Arch): ImagePlan;
  /** Where VMs lab did not start answer SSH, by node, where not at their usual address (lab up --address). */
  addresses?: Readonly<Record<string, GuestAddress>>;
}

export interface GuestAddress {
  host: string;
  port: number;
}

export type NodeState = 'running' | 'stopped' | 'broken' | 'crashed';

/** What `lab up` and `lab status` show of a node beside its spec. */
export interface NodeFacts {
  /** The namespace holding the node's end of each wire, or the one its VM runs in. */
  netns: string;
  accel?: 'kvm' | 'tcg';
  accelReason?: string;
  sshPort?: number;
  /** Where lab reaches a VM it did not start (host:port). */
  address?: string;
  pid?: number;
  /** Each data-plane NIC as the node's own kernel names it, with its channels (ethtool -l). */
  guestNics?: Array<{ name: string; ifname: string; combined: number }>;
}

/** What taking a NIC from the node's kernel left for the app to use. */
export interface Taken {
  /** The PCI function DPDK is given (QEMU VMs). */
  pci?: string;
  ifname?: string;
  kernel_driver?: string;
}

/** Where a node's apps run, opened for the length of one command. */
export interface AppHost {
  target: AppTarget;
  /** Takes the NIC from the node's kernel for DPDK (and reserves hugepages where needed). */
  take(nic: Nic): Promise<Taken>;
  /** Gives it back to the kernel driver it had, with its address. */
  give(nic: Nic): Promise<void>;
  /** The app's command line on its NICs, each as taken (`taken[i]` is `nics[i]`'s). */
  launch(app: App, nics: Nic[], taken: Taken[]): AppLaunch;
  close(): void;
}

/** Where the checks run when the node is the tester (verify.from), opened for one command. */
export interface TesterHost {
  exec: Exec;
  /** The l2probe binary there. */
  l2probe: string;
  /** A NIC's interface name as the node's kernel calls it. */
  ifname(nic: Nic): string;
  close(): void;
}

/** What `lab render` wrote for a node. */
export interface RenderedNode {
  node: string;
  accel?: { accel: 'kvm' | 'tcg'; reason: string };
  sshPort?: number;
  files: Record<string, string>;
  argv: string[];
}

/** A node's provisioned snapshot as lab images lists it. */
export interface SnapshotInfo {
  /** The file that holds it, with the disk writes since. */
  file: string;
  bytes: number;
  savedAt: string;
  /** The process that has it open (a running VM). */
  runningPid?: number;
}

/** A log a person asks for: one of the node's own (its serial console), or a file on it (an app's log). */
export type LogRef = { source: string } | { file: string };

export interface NodeDriver {
  readonly kind: string;
  /** Whether its nodes boot the lab's guest image (lab up builds the image first when one starts). */
  readonly bootsImage: boolean;
  /** The node's own logs `lab logs` offers, the default first. */
  readonly logSources: readonly string[];
  /** Where an app on the node writes its log (on this host or on the node). */
  appLogPath(app: string): string;

  /** Writes the node's generated files under `root` and starts nothing; undefined when it has none. */
  render(node: Node, root: string, state: LabState | undefined): Promise<RenderedNode | undefined>;
  /** The node's guest on a KubeVirt cluster, its keys kept in `root`; kinds that cannot run there leave this out. */
  clusterGuest?(node: Node, root: string): Promise<ClusterGuest>;
  isUp(node: Node, record: NodeRecord | undefined): Promise<boolean>;
  /** Memory of this host a started node takes, for lab up's check before it starts anything. */
  hostMemoryMiB(node: Node): number;
  /** Brings the node up, registering everything it makes with `undo`; returns what the state keeps. */
  up(node: Node, state: Readonly<LabState>, undo: Undo): Promise<NodeRecord>;
  /**
   * Takes the node down with its apps, from its record or from what a half-made node left behind
   * (it may no longer be in the spec: only its name is known then). Says what it removed.
   */
  down(node: Pick<Node, 'name'>, record: NodeRecord | undefined, apps: Record<string, AppRecord>): Promise<string[]>;
  /** Puts a running node, its apps already stopped, back in the state lab up left it in (lab reset); returns its record then. */
  reset(node: Node, record: NodeRecord | undefined): Promise<NodeRecord | undefined>;
  status(node: Node, record: NodeRecord | undefined): Promise<{ state: NodeState; pid?: number }>;
  facts(node: Node, record: NodeRecord | undefined): NodeFacts;
  openAppHost(node: Node, record: NodeRecord | undefined): Promise<AppHost>;
  openTester(node: Node, record: NodeRecord | undefined): Promise<TesterHost>;
  /**
   * The namespace that holds the node's end of a link, a NIC by its own name there; undefined
   * where the kind's NICs cannot be linked yet.
   */
  linkEnd(node: Node): string | undefined;
  /** A shell on the node, or one command run there, for a person's terminal. */
  shellArgv(node: Node, record: NodeRecord | undefined, command: string[]): string[];
  logArgv(node: Node, record: NodeRecord | undefined, log: LogRef, follow: boolean): string[];
  /** The node's provisioned snapshot, for lab images; kinds that keep none leave this out. */
  snapshot?(node: Pick<Node, 'name'>): SnapshotInfo | undefined;
  /** Removes the provisioned snapshot of a node that is not running; its next lab up boots cold. */
  discardSnapshot?(node: Pick<Node, 'name'>): void;
  /** What an evidence bundle keeps of the node: command output (run on this host) or files copied, each with why. */
  evidence(node: Node, record: NodeRecord | undefined): EvidenceSource[];
}

export type EvidenceSource = { file: string; what: string; lastLines?: number } & (
  { argv: string[] } | { copy: string }
);
