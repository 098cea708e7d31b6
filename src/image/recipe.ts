// What a guest image is made of and where it is cached: pure, so render can name the files before they exist.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Lab } from '../config/lab.js';
import { guestPackages } from './packages.js';

/** Bump when the way images are built changes, so old cache entries are not reused. */
const BUILD_VERSION = 2;

export interface ImagePlan {
  kind: 'debian' | 'download';
  /** Content key: the recipe's hash (debian) or the file's sha256 (download). */
  key: string;
  dir: string;
  /** The base disk every VM's overlay points at. */
  disk: string;
  format: 'qcow2' | 'raw';
  kernel?: string;
  initrd?: string;
  packages: string[];
}

/** What the image is and where it is cached; `cacheRoot` is layout's imageCacheRoot() but for tests and benchmarks. */
export function imagePlan(lab: Pick<Lab, 'image' | 'dpdk'>, cacheRoot: string): ImagePlan {
  if ('url' in lab.image) {
    const dir = join(cacheRoot, `sha256-${lab.image.sha256}`);
    return { kind: 'download', key: lab.image.sha256, dir, disk: join(dir, 'disk.img'), format: 'qcow2', packages: [] };
  }
  const { suite, mirror, packages: extra } = lab.image.debian;
  const packages = [...new Set(['linux-image-amd64', 'systemd-sysv', 'udev', ...guestPackages(lab), ...extra])].sort();
  const key = createHash('sha256').update(JSON.stringify({ BUILD_VERSION, suite, mirror, packages })).digest('hex');
  const dir = join(cacheRoot, `debian-${suite}-${key.slice(0, 16)}`);
  return { kind: 'debian', key, dir, disk: join(dir, 'disk.qcow2'), format: 'qcow2', kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), packages };
}
