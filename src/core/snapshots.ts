// The provisioned snapshots of a lab's nodes, for lab images: listed with their size, pruned only
// where no running node holds them open. Which kinds keep snapshots, and where, is theirs to say.
import type { Lab } from '../config/lab.js';
import { openContext } from '../nodes/registry.js';
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
  const ctx = openContext(lab, quiet);
  return lab.nodes.flatMap((node) => {
    const s = ctx.of(node.kind).snapshot?.(node);
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
  const ctx = openContext(lab, quiet);
  const all = listSnapshots(lab);
  const removed = all.filter((s) => s.runningPid === undefined);
  for (const s of removed) ctx.of(lab.nodes.find((n) => n.name === s.node)!.kind).discardSnapshot?.({ name: s.node });
  return { removed, kept: all.filter((s) => s.runningPid !== undefined) };
}
