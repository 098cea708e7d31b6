// A guest image as a KubeVirt containerDisk: an OCI image archive, made with umoci from Debian (no
// registry, no daemon), holding the disk under /disk/ and, for lab's own image, the kernel and initrd
// under /boot/ that KubeVirt's kernelBoot takes from the same image.
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LabError } from '../errors.js';
import { run, which } from '../host/exec.js';
import { makeDir } from '../host/files.js';
import { CONTAINER_DISK } from '../layout.js';
import type { Reporter } from '../progress.js';
import type { ImagePlan } from './recipe.js';

/** The image reference `lab render --target kubevirt` uses by default: the tag the archive is given. */
export function containerDiskTag(image: Pick<ImagePlan, 'key'>): string {
  return `localhost/lab-guest:${containerDiskVersion(image)}`;
}

function containerDiskVersion(image: Pick<ImagePlan, 'key'>): string {
  return image.key.slice(0, 12);
}

export interface ContainerDiskExport {
  file: string;
  /** The reference `lab render --target kubevirt` gives the VMs by default. */
  reference: string;
  /** The archive's one tag (its org.opencontainers.image.ref.name). */
  tag: string;
  bytes: number;
  /** The compressed qcow2 inside it. */
  diskBytes: number;
  kernelBoot: boolean;
}

/**
 * Writes the image as an OCI archive at `out`. The work is done in a folder beside it that goes
 * whatever happens, and the archive appears only whole.
 */
export async function exportContainerDisk(
  plan: ImagePlan,
  out: string,
  reporter: Reporter,
): Promise<ContainerDiskExport> {
  if (!(await which('umoci')))
    throw new LabError({
      code: 'ENV_TOOL',
      message: 'exporting a containerDisk needs umoci, which is not installed',
      hint: 'Install it with `apt-get install umoci` (or `lab doctor --fix`).',
    });
  const file = resolve(out);
  makeDir(dirname(file), 0o755, 'USAGE');
  const work = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const version = containerDiskVersion(plan);
  const layout = join(work, 'layout');
  const image = `${layout}:${version}`;
  try {
    const stage = join(work, 'stage');
    const disk = join(stage, 'disk', basename(CONTAINER_DISK.disk));
    mkdirSync(dirname(disk), { recursive: true });
    // zstd-compressed qcow2: a third of the size, and KubeVirt's QEMU reads it as it is.
    await reporter.step(`compress the disk (${plan.disk})`, () =>
      run(
        ['qemu-img', 'convert', '-f', plan.format, '-O', 'qcow2', '-c', '-o', 'compression_type=zstd', plan.disk, disk],
        {
          code: 'ENV_TOOL',
          what: 'compressing the guest disk',
        },
      ),
    );
    const kernelBoot = plan.kernel !== undefined;
    if (plan.kernel) {
      const boot = join(stage, 'boot');
      mkdirSync(boot);
      copyFileSync(plan.kernel, join(boot, basename(CONTAINER_DISK.kernel)));
      if (plan.initrd) copyFileSync(plan.initrd, join(boot, basename(CONTAINER_DISK.initrd)));
    }
    // KubeVirt reads the disk as its qemu user (107): readable by all, written by none.
    for (const f of [
      disk,
      ...(kernelBoot ? [CONTAINER_DISK.kernel, CONTAINER_DISK.initrd].map((p) => join(stage, p)) : []),
    ])
      chmodSync(f, 0o444);
    await reporter.step(`make the OCI image ${version} with umoci`, async () => {
      const umoci = (args: string[]) => run(['umoci', ...args], { code: 'ENV_TOOL', what: 'umoci' });
      await umoci(['init', '--layout', layout]);
      await umoci(['new', '--image', image]);
      await umoci(['insert', '--image', image, join(stage, 'disk'), dirname(CONTAINER_DISK.disk)]);
      if (kernelBoot) await umoci(['insert', '--image', image, join(stage, 'boot'), dirname(CONTAINER_DISK.kernel)]);
      await umoci([
        'config',
        '--image',
        image,
        '--config.label',
        'org.opencontainers.image.title=lab guest image (KubeVirt containerDisk)',
        '--config.label',
        `org.opencontainers.image.version=${version}`,
      ]);
    });
    // An OCI archive is the layout as a tar; ordered and dated the same every time.
    const tmp = join(work, 'archive.tar');
    await reporter.step('write the OCI archive', () =>
      run(
        [
          'tar',
          '--sort=name',
          '--mtime=@0',
          '--owner=0',
          '--group=0',
          '--numeric-owner',
          '-C',
          layout,
          '-cf',
          tmp,
          '.',
        ],
        {
          code: 'ENV_TOOL',
          what: 'writing the OCI archive',
        },
      ),
    );
    const diskBytes = statSync(disk).size;
    renameSync(tmp, file);
    return { file, reference: containerDiskTag(plan), tag: version, bytes: statSync(file).size, diskBytes, kernelBoot };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
