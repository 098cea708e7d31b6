// A DPDK release build as the host caches it: its key and file are pure, so render can name the
// file before it exists; the listing reads the cache.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTextAsset } from '../assets.js';
import type { Lab } from '../config/lab.js';

/** Bump when lab-install-dpdk changes what it builds or how it packs it. */
const BUILD_VERSION = 1;

export interface DpdkBuildPlan {
  /** What the build is made from: the tarball, the meson options, the guest image it is built in. */
  key: string;
  /** The tar of the installed files, present once a guest has built it. */
  file: string;
}

/** The guest script that builds and packs it: a build is only as good as the script that made it. */
const INSTALL_SCRIPT = ['cloud-init', 'scripts', 'lab-install-dpdk'];

/**
 * Where a release build is cached; none for the distribution's packages. The key covers everything
 * that shapes the build: the tarball (its sha256 and where it came from), the options, the script
 * and the image it is built in; a lab that differs in any of them never installs another's build.
 */
export function dpdkBuildPlan(
  lab: Pick<Lab, 'dpdk'>,
  imageKey: string,
  cacheRoot: string,
  script = readTextAsset(...INSTALL_SCRIPT),
): DpdkBuildPlan | undefined {
  const { source, sha256, url, version, build } = lab.dpdk;
  if (source !== 'release') return undefined;
  const scriptHash = createHash('sha256').update(script).digest('hex');
  const key = createHash('sha256')
    .update(JSON.stringify({ BUILD_VERSION, sha256, url, version, build, imageKey, scriptHash }))
    .digest('hex');
  return { key, file: join(cacheRoot, `dpdk-${lab.dpdk.version}-${key.slice(0, 16)}.tar`) };
}

export interface DpdkBuildEntry {
  file: string;
  bytes: number;
  builtAt: string;
}

/** The cached builds, newest first; a half-copied one (*.tmp-*) is not a build. */
export function listDpdkBuilds(cacheRoot: string): DpdkBuildEntry[] {
  if (!existsSync(cacheRoot)) return [];
  return readdirSync(cacheRoot)
    .filter((f) => /^dpdk-.*\.tar$/.test(f))
    .map((f) => {
      const s = statSync(join(cacheRoot, f));
      return { file: join(cacheRoot, f), bytes: s.size, builtAt: s.mtime.toISOString() };
    })
    .sort((a, b) => b.builtAt.localeCompare(a.builtAt));
}

/**
 * Copies of a build a guest was handing over when its lab up died (`<build>.tar.tmp-<pid>-<hex>`,
 * see sshDownload): never a build, and never finished once their process is gone.
 */
export function leftoverDpdkCopies(cacheRoot: string, alive: (pid: number) => boolean): DpdkBuildEntry[] {
  if (!existsSync(cacheRoot)) return [];
  return readdirSync(cacheRoot)
    .map((f) => ({ f, pid: /^dpdk-.*\.tar\.tmp-(\d+)-[0-9a-f]+$/.exec(f)?.[1] }))
    .filter((x): x is { f: string; pid: string } => x.pid !== undefined && !alive(Number(x.pid)))
    .map(({ f }) => {
      const s = statSync(join(cacheRoot, f));
      return { file: join(cacheRoot, f), bytes: s.size, builtAt: s.mtime.toISOString() };
    });
}
