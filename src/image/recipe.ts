// What a guest image is made of and where it is cached: pure, so render can name the files before they exist.
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { debCacheRoot, hostLockRoot } from '../layout.js';
import type { Lab } from '../config/lab.js';
import { debianArch, defaultArch, type Arch } from '../config/arch.js';
import { guestPackages } from './packages.js';

/** Bump when the way images are built changes, so old cache entries are not reused. */
const BUILD_VERSION = 2;

export interface ImagePlan {
  kind: 'debian' | 'download';
  /** The guests' architecture: what lab's image is built for, what a downloaded one must be. */
  arch: Arch;
  /** Content key: the recipe's hash (debian) or the file's sha256 (download). */
  key: string;
  dir: string;
  /** The base disk every VM's overlay points at. */
  disk: string;
  format: 'qcow2' | 'raw';
  kernel?: string;
  initrd?: string;
  packages: string[];
  /**
   * The Debian packages earlier builds downloaded, beside the image cache: apt checks each against
   * the mirror's signed index before it uses it, so a build downloads only what is new.
   */
  debs?: string;
  /** Held while the image is made: a second lab command that needs it waits, then reuses it. */
  lock: string;
}

/** One lock per image and cache folder, whichever checkout or user asks for it. */
function imageLock(dir: string): string {
  const where = createHash('sha256').update(dirname(dir)).digest('hex').slice(0, 8);
  return join(hostLockRoot(), `image-${basename(dir)}-${where}.lock`);
}

/** What the image is and where it is cached; `cacheRoot` is layout's imageCacheRoot() but for tests and benchmarks. */
export function imagePlan(lab: Pick<Lab, 'image' | 'dpdk'>, cacheRoot: string, arch: Arch = defaultArch()): ImagePlan {
  if ('url' in lab.image) {
    const dir = join(cacheRoot, `sha256-${lab.image.sha256}`);
    return {
      kind: 'download',
      arch,
      key: lab.image.sha256,
      dir,
      disk: join(dir, 'disk.img'),
      format: 'qcow2',
      packages: [],
      lock: imageLock(dir),
    };
  }
  const { suite, mirror, packages: extra } = lab.image.debian;
  const packages = [
    ...new Set([`linux-image-${debianArch(arch)}`, 'systemd-sysv', 'udev', ...guestPackages(lab), ...extra]),
  ].sort();
  // x86-64's keys and folders as they were before images had an architecture: its cache stays valid.
  const foreign = arch === 'x86_64' ? {} : { arch };
  const key = createHash('sha256')
    .update(JSON.stringify({ BUILD_VERSION, suite, mirror, packages, ...foreign }))
    .digest('hex');
  const dir = join(cacheRoot, `debian-${suite}-${arch === 'x86_64' ? '' : `${debianArch(arch)}-`}${key.slice(0, 16)}`);
  return {
    kind: 'debian',
    arch,
    key,
    dir,
    disk: join(dir, 'disk.qcow2'),
    format: 'qcow2',
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    packages,
    debs: debCacheRoot(cacheRoot),
    lock: imageLock(dir),
  };
}
