// A DPDK release build as the host caches it: pure, so render can name the file before it exists.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Lab } from '../config/lab.js';

/** Bump when lab-install-dpdk changes what it builds or how it packs it. */
const BUILD_VERSION = 1;

export interface DpdkBuildPlan {
  /** What the build is made from: the tarball, the meson options, the guest image it is built in. */
  key: string;
  /** The tar of the installed files, present once a guest has built it. */
  file: string;
}

/** Where a release build is cached; none for the distribution's packages. */
export function dpdkBuildPlan(lab: Pick<Lab, 'dpdk'>, imageKey: string, cacheRoot: string): DpdkBuildPlan | undefined {
  const { source, sha256, build } = lab.dpdk;
  if (source !== 'release') return undefined;
  const key = createHash('sha256').update(JSON.stringify({ BUILD_VERSION, sha256, build, imageKey })).digest('hex');
  return { key, file: join(cacheRoot, `dpdk-${lab.dpdk.version}-${key.slice(0, 16)}.tar`) };
}
