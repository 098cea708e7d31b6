// The provisioned snapshots of a lab's nodes, for lab images: listed with their size, pruned only
// where no running node holds them open. Which kinds keep snapshots, and where, is theirs to say.
import type { Lab } from '../config/lab.js';
import { openDrivers } from '../nodes/registry.js';
import { quiet } from '../progress.js';

export interface SnapshotEntry {
  node: string;
  /** The overlay that holds it, with the disk writes since. */
  overlay: string;
  bytes: number;
  savedAt: string;
  /** The node's process, which has the overlay open. */
  runningPid?: number;
}

export function listSnapshots(lab: Lab): SnapshotEntry[] {
  const drivers = openDrivers(lab, quiet);
  return lab.nodes.flatMap((node) => {
    const s = drivers.of(node.kind).snapshot?.(node);
    if (!s) return [];
    return [
      {
        node: node.name,
        overlay: s.file,
        bytes: s.bytes,
        savedAt: s.savedAt,
        ...(s.runningPid !== undefined ? { runningPid: s.runningPid } : {}),
      },
    ];
  });
}

/** Removes the snapshots of nodes that are not running; the next up of such a node boots cold. */
export function pruneSnapshots(lab: Lab): { removed: SnapshotEntry[]; kept: SnapshotEntry[] } {
  const drivers = openDrivers(lab, quiet);
  const all = listSnapshots(lab);
  const removed = all.filter((s) => s.runningPid === undefined);
  for (const s of removed)
    drivers.of(lab.nodes.find((n) => n.name === s.node)!.kind).discardSnapshot?.({ name: s.node });
  return { removed, kept: all.filter((s) => s.runningPid !== undefined) };
}
