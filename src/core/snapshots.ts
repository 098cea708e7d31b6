// The provisioned snapshots of a lab's QEMU VMs, for lab images: listed with their size, pruned
// only where no QEMU has the overlay that holds them open.
import { statSync } from 'node:fs';
import type { Lab } from '../config/lab.js';
import { discardSnapshot, readSnapshot } from '../nodes/qemu/snapshot.js';
import { pidFileProcess } from '../host/process.js';
import { labPaths, nodePaths } from '../layout.js';

export interface SnapshotEntry {
  node: string;
  /** The overlay that holds it, with the disk writes since. */
  overlay: string;
  bytes: number;
  savedAt: string;
  /** The VM's QEMU, which has the overlay open. */
  runningPid?: number;
}

export function listSnapshots(lab: Lab): SnapshotEntry[] {
  const root = labPaths(lab).root;
  return lab.nodes.flatMap((node) => {
    const vp = nodePaths(root, node.name);
    const meta = readSnapshot(vp);
    if (!meta) return [];
    const qemu = pidFileProcess(vp.pid);
    return [
      {
        node: node.name,
        overlay: vp.disk,
        bytes: statSync(vp.disk).size,
        savedAt: meta.savedAt,
        ...(qemu ? { runningPid: qemu.pid } : {}),
      },
    ];
  });
}

/** Removes the snapshots of VMs that are not running; the next up of such a VM boots cold. */
export function pruneSnapshots(lab: Lab): { removed: SnapshotEntry[]; kept: SnapshotEntry[] } {
  const root = labPaths(lab).root;
  const all = listSnapshots(lab);
  const removed = all.filter((s) => s.runningPid === undefined);
  for (const s of removed) discardSnapshot(nodePaths(root, s.node));
  return { removed, kept: all.filter((s) => s.runningPid !== undefined) };
}
