// What lab made in its cache, sealed: each file's sha256 when lab made it, and the inode, size and
// change time it had then. A file whose stat still matches is taken as is (the kernel sets ctime on
// every write, and no ordinary user can set it back); one whose stat moved is hashed again and
// refused if its content changed. An image or build QEMU boots as root is never one that was
// altered since lab checked it.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LabError } from '../errors.js';
import { writeAtomic } from '../host/files.js';

interface Seal {
  sha256: string;
  size: number;
  ino: number;
  ctimeMs: number;
}

type Index = Record<string, Seal>;

/** The index of a cache folder (the images', the DPDK builds'): beside it, in lab's cache root. */
export function sealIndex(cacheFolder: string): string {
  return join(dirname(cacheFolder), 'index.json');
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function readIndex(index: string): Index {
  try {
    return JSON.parse(readFileSync(index, 'utf8')) as Index;
  } catch {
    return {};
  }
}

function statOf(path: string): Omit<Seal, 'sha256'> {
  const s = statSync(path);
  return { size: s.size, ino: s.ino, ctimeMs: s.ctimeMs };
}

const same = (a: Omit<Seal, 'sha256'>, b: Omit<Seal, 'sha256'>) =>
  a.size === b.size && a.ino === b.ino && a.ctimeMs === b.ctimeMs;

/** Records the files as lab made them. */
export async function seal(index: string, files: string[]): Promise<void> {
  const entries = await Promise.all(
    files.map(async (f) => [f, { sha256: await sha256File(f), ...statOf(f) }] as const),
  );
  writeAtomic(index, `${JSON.stringify({ ...readIndex(index), ...Object.fromEntries(entries) }, null, 2)}\n`, 0o600);
}

/**
 * Checks the files against their seals before use. A file with no seal (made by a lab before
 * seals) is sealed as it is now; one whose content changed is an error naming it.
 */
export async function checkSealed(index: string, files: string[], what: string): Promise<void> {
  const known = readIndex(index);
  const fresh: string[] = [];
  for (const file of files) {
    const sealed = known[file];
    if (!sealed) {
      fresh.push(file);
      continue;
    }
    if (same(statOf(file), sealed)) continue;
    const actual = await sha256File(file);
    if (actual !== sealed.sha256) {
      throw new LabError({
        code: 'STATE',
        message: `${file} (${what}) changed since lab made it: sha256 ${actual}, sealed as ${sealed.sha256}`,
        hint: "Something other than lab wrote to lab's cache. Remove it with `lab images prune --all`; the next lab up makes it again.",
      });
    }
    fresh.push(file);
  }
  if (fresh.length) await seal(index, fresh);
}
