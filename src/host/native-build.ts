// lab's own programs for this host (l2probe, l2impair, and the echo apps netns nodes run), built
// from the package's native/ sources into ~/.cache/lab/native/<hash of the sources>/: never into
// the package's own folder, which an installed package may not be able to write, and once for a
// given content however many checkouts or labs ask.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { packagePath } from '../assets.js';
import { hostLockRoot, labCacheRoot } from '../layout.js';
import { run } from './exec.js';
import { withHeldLock } from './flock.js';

let built: string | undefined;

/** Where this host's build of the native programs is, keyed by the sources (and the Makefile) it is made from. */
export function nativeBuildDir(): string {
  if (built) return built;
  const src = packagePath('native');
  const hash = createHash('sha256');
  for (const file of readdirSync(src)
    .filter((f) => /\.[ch]$/.test(f) || f === 'Makefile')
    .sort())
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(src, file)))
      .update('\0');
  return (built = join(labCacheRoot(), 'native', hash.digest('hex').slice(0, 16)));
}

/**
 * Builds them if needed (make's own up-to-date check), one builder at a time; returns where they are.
 * `probe`: l2probe and its kin alone, which need no DPDK (a tester's host, as the cluster's pod).
 */
export async function buildNative(onWait?: () => void, what: 'all' | 'probe' = 'all'): Promise<string> {
  const out = nativeBuildDir();
  await withHeldLock(join(hostLockRoot(), `native-${basename(out)}.lock`), { timeoutMs: 600_000, onWait }, () =>
    run(['make', '-C', packagePath('native'), `BUILD=${out}`, `-j${cpus().length}`, what], {
      code: 'ENV_TOOL',
      what: 'building the native apps',
      timeoutMs: 600_000,
    }),
  );
  return out;
}
