// What the image cache holds, and which entries can go: an entry a process still has open (a
// running VM's base disk or kernel) or that a live `lab up` is still building is never removed.
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface CacheEntry {
  name: string;
  dir: string;
  /** complete: has its manifest; building: a live lab up is making it; partial: left by a dead one. */
  state: 'complete' | 'building' | 'partial';
  kind?: string;
  builtAt?: string;
  bytes: number;
  /** PIDs that hold one of its files open. */
  openBy: number[];
}

export interface PruneChoice {
  remove: CacheEntry[];
  keep: Array<{ entry: CacheEntry; why: string }>;
}

/** Pure: which entries to remove, keeping `wanted` (the spec's image dir) unless `all`. */
export function choosePrune(entries: CacheEntry[], wanted: readonly string[], all: boolean): PruneChoice {
  const choice: PruneChoice = { remove: [], keep: [] };
  for (const entry of entries) {
    const why = entry.openBy.length
      ? `in use by pid ${entry.openBy.join(', ')}`
      : entry.state === 'building'
        ? 'being built'
        : !all && wanted.includes(entry.dir)
          ? 'the spec uses it'
          : undefined;
    if (why) choice.keep.push({ entry, why });
    else choice.remove.push(entry);
  }
  return choice;
}

export function listCache(root: string): CacheEntry[] {
  if (!existsSync(root)) return [];
  const open = openFiles();
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => entryOf(join(root, d.name), d.name, open))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function removeEntry(entry: CacheEntry): void {
  rmSync(entry.dir, { recursive: true, force: true });
}

function entryOf(dir: string, name: string, open: Map<string, number[]>): CacheEntry {
  const building = /\.tmp-(\d+)$/.exec(name);
  let manifest: { kind?: string; builtAt?: string } | undefined;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch {
    manifest = undefined;
  }
  const state = building
    ? pidExists(Number(building[1]))
      ? 'building'
      : 'partial'
    : manifest
      ? 'complete'
      : 'partial';
  const openBy = [
    ...new Set([...open].filter(([file]) => file.startsWith(`${dir}/`)).flatMap(([, pids]) => pids)),
  ].sort((a, b) => a - b);
  return { name, dir, state, kind: manifest?.kind, builtAt: manifest?.builtAt, bytes: diskUsage(dir), openBy };
}

/** Blocks really used: qcow2 and raw disks are sparse. */
function diskUsage(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.blocks * 512;
  return readdirSync(path).reduce((sum, f) => sum + diskUsage(join(path, f)), st.blocks * 512);
}

/** Every file any process has open, with the PIDs holding it (from /proc/PID/fd). */
function openFiles(): Map<string, number[]> {
  const open = new Map<string, number[]>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        const file = readlinkSync(`/proc/${pid}/fd/${fd}`);
        open.set(file, [...(open.get(file) ?? []), Number(pid)]);
      } catch {
        // closed meanwhile
      }
    }
  }
  return open;
}

function pidExists(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** What the shared package cache holds: how many .deb files, and their size. */
export function debCacheUsage(debs: string): { debs: number; bytes: number } {
  if (!existsSync(debs)) return { debs: 0, bytes: 0 };
  const files = readdirSync(debs).filter((f) => f.endsWith('.deb'));
  return { debs: files.length, bytes: files.reduce((sum, f) => sum + diskUsage(join(debs, f)), 0) };
}

/**
 * What the newest complete image in the cache can boot, for lab doctor's accelerator probe (only a
 * real boot proves KVM runs guests): its kernel, or a downloaded image's own disk.
 */
export function newestBootableImage(root: string): { kernel: string } | { disk: string } | Record<string, never> {
  const newest = listCache(root)
    .filter((e) => e.state === 'complete')
    .sort((a, b) => (b.builtAt ?? '').localeCompare(a.builtAt ?? ''))[0];
  if (!newest) return {};
  if (existsSync(join(newest.dir, 'vmlinuz'))) return { kernel: join(newest.dir, 'vmlinuz') };
  return existsSync(join(newest.dir, 'disk.img')) ? { disk: join(newest.dir, 'disk.img') } : {};
}
