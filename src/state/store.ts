// A lab's state on disk: one JSON file, written atomically, read by every command. Each node's
// record belongs to its driver, which alone reads what it wrote there beyond the common fields.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppPort } from '../apps/command.js';
import type { ReadyEvent } from '../apps/events.js';
import type { Impairment } from '../config/lab.js';
import type { Target } from '../config/targets.js';
import { LabError } from '../errors.js';
import { ownFolder, writeAtomic } from '../host/files.js';
import type { ProcRef } from '../host/process.js';
import type { LabPaths } from '../layout.js';

/** What every node's record holds; a driver's own record extends it. */
export interface NodeRecord {
  /** The node's kind, which names the driver that made it. */
  kind: string;
  startedAt: string;
  /**
   * Each NIC's interface in the lab namespace as lab up named it, by NIC name, so lab down NODE
   * removes exactly these even after the spec changed. Absent in a state from before 0.2.
   */
  interfaces?: Record<string, string>;
}

export interface AppRecord {
  node: string;
  /** Its first NIC. */
  nic: string;
  /** Every NIC it took (a record written before apps could take two has only nic). */
  nics?: string[];
  /** The DPDK port each NIC became. */
  ports?: AppPort[];
  program: string;
  proc: ProcRef;
  log: string;
  startedAt: string;
  ready: ReadyEvent;
}

/** The NICs an app's record says it took. */
export function recordNics(r: Pick<AppRecord, 'nic' | 'nics'>): string[] {
  return r.nics ?? [r.nic];
}

/** An impaired wire's relay as it runs: the spec's impairment, or what `lab impair` set since. */
export interface RelayRecord {
  impair: Impairment;
  startedAt: string;
}

export interface LabState {
  lab: string;
  spec: string;
  netns: string;
  createdAt: string;
  nodes: Record<string, NodeRecord>;
  apps: Record<string, AppRecord>;
  /** Absent in a state written before impaired wires existed. */
  relays?: Record<string, RelayRecord>;
  /** Where lab up found the nodes; absent: this host, where it started them. */
  target?: Target;
  /** On a cluster: whether lab up named the namespace it ran in as the lab namespace (lab down removes the name only then). */
  namedNetns?: boolean;
}

/**
 * The lab's state folder, owner-only: it holds the guests' SSH host keys (in the seed), the lab's
 * SSH key, the overlays with the guests' saved RAM, and QMP sockets, none of them for other users.
 */
export function ensureStateFolder(paths: LabPaths): void {
  ownFolder(dirname(paths.root));
  ownFolder(paths.root);
}

export function newState(lab: { name: string; file: string }, paths: LabPaths): LabState {
  return {
    lab: lab.name,
    spec: lab.file,
    netns: paths.netns,
    createdAt: new Date().toISOString(),
    nodes: {},
    apps: {},
  };
}

export function readState(paths: LabPaths): LabState | undefined {
  if (!existsSync(paths.state)) return undefined;
  moveOldNodeFolder(paths);
  try {
    return upgradeState(JSON.parse(readFileSync(paths.state, 'utf8')) as LabState & OldState);
  } catch (err) {
    throw new LabError({
      code: 'STATE',
      message: `cannot read the lab state ${paths.state}: ${(err as Error).message}`,
      hint: 'Run `lab down` to clean up what the lab left, then `lab up`.',
    });
  }
}

export function writeState(paths: LabPaths, state: LabState): void {
  writeAtomic(paths.state, `${JSON.stringify(state, null, 2)}\n`);
}

/** A state as lab 0.1 wrote it, before nodes were called nodes: its nodes under vms, each app's under vm. */
interface OldState {
  vms?: Record<string, Omit<NodeRecord, 'kind'> & { driver?: string }>;
}

/** Reads a state written by lab 0.1 in today's words, so a lab brought up then is still brought down. */
function upgradeState(state: LabState & OldState): LabState {
  const { vms, ...rest } = state;
  const nodes =
    state.nodes ??
    Object.fromEntries(
      Object.entries(vms ?? {}).map(([name, { driver, ...r }]) => [
        name,
        { ...r, kind: driver ?? 'qemu' } as NodeRecord,
      ]),
    );
  const apps = Object.fromEntries(
    Object.entries(state.apps ?? {}).map(([name, a]) => {
      const { vm, ...app } = a as AppRecord & { vm?: string };
      return [name, { ...app, node: app.node ?? vm } as AppRecord];
    }),
  );
  return { ...rest, nodes, apps };
}

/**
 * lab 0.1 kept each node's files under vms/, today's under nodes/: the folder moves once. A running
 * QEMU keeps its open disk, log and QMP socket through a rename within one file system.
 */
function moveOldNodeFolder(paths: LabPaths): void {
  const old = join(paths.root, 'vms');
  const now = join(paths.root, 'nodes');
  if (!existsSync(old) || existsSync(now)) return;
  try {
    renameSync(old, now);
  } catch (err) {
    // Another lab command moved it first.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
