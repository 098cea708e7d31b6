// A guest image as a KubeVirt containerDisk: an OCI image archive, made with umoci from Debian (no
// registry, no daemon), holding the disk under /disk/ and, for lab's own image, the kernel and initrd
// under /boot/ that KubeVirt's kernelBoot takes from the same image, and a DPDK release build where
// the lab installs one.
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LabError } from '../errors.js';
import { run, which } from '../host/exec.js';
import { catchingSignals, throwIfInterrupted } from '../host/interrupt.js';
import { makeDir } from '../host/files.js';
import { CONTAINER_DISK } from '../layout.js';
import type { Reporter } from '../progress.js';
import type { DpdkBuildPlan } from './dpdk-build.js';
import type { ImagePlan } from './recipe.js';
import { checkSealed, sealIndex } from './seal.js';

/**
 * The archive's tag: what is in it, by content. The guest image's key, and the DPDK release build's
 * where the lab installs one (the guest finds it as a disk, as it does here).
 */
export function containerDiskVersion(
  image: Pick<ImagePlan, 'key'>,
  dpdk: Pick<DpdkBuildPlan, 'key'> | undefined,
): string {
  return `${image.key.slice(0, 12)}${dpdk ? `-dpdk-${dpdk.key.slice(0, 12)}` : ''}`;
}

/** The image reference `lab render --target kubevirt` uses by default: the tag `lab images export` gives. */
export function containerDiskTag(version: string): string {
  return `localhost/lab-guest:${version}`;
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
  /** The DPDK release build it carries, for a lab that installs one. */
  dpdkBuild?: string;
}

/**
 * Writes the image as an OCI archive at `out`. The work is done in a folder beside it that goes
 * whatever happens, and the archive appears only whole.
 */
export async function exportContainerDisk(
  plan: ImagePlan,
  dpdk: DpdkBuildPlan | undefined,
  out: string,
  reporter: Reporter,
): Promise<ContainerDiskExport> {
  if (!(await which('umoci')))
    throw new LabError({
      code: 'ENV_TOOL',
      message: 'exporting a containerDisk needs umoci, which is not installed',
      hint: 'Install it with `apt-get install umoci` (lab doctor lists it among the optional tools, which --fix leaves alone).',
    });
  const file = resolve(out);
  makeDir(dirname(file), 0o755, 'USAGE');
  const work = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  if (dpdk && !existsSync(dpdk.file))
    throw new LabError({
      code: 'STATE',
      message: `this lab installs a DPDK release build, and none is cached for it yet (${dpdk.file})`,
      hint: 'Run `lab up` once: the guest builds DPDK and lab caches the build; then export again.',
    });
  const version = containerDiskVersion(plan, dpdk);
  const layout = join(work, 'layout');
  const image = `${layout}:${version}`;
  // Ctrl-C becomes an error at the next step, so the work folder below still goes.
  return catchingSignals(async () => {
    try {
      const stage = join(work, 'stage');
      const disk = join(stage, 'disk', basename(CONTAINER_DISK.disk));
      mkdirSync(dirname(disk), { recursive: true });
      // zstd-compressed qcow2: a third of the size, and KubeVirt's QEMU reads it as it is.
      await reporter.step(`compress the disk (${plan.disk})`, () =>
        run(
          [
            'qemu-img',
            'convert',
            '-f',
            plan.format,
            '-O',
            'qcow2',
            '-c',
            '-o',
            'compression_type=zstd',
            plan.disk,
            disk,
          ],
          {
            code: 'ENV_TOOL',
            what: 'compressing the guest disk',
          },
        ),
      );
      if (dpdk) {
        await checkSealed(sealIndex(dirname(dpdk.file)), [dpdk.file], 'a cached DPDK build');
        copyFileSync(dpdk.file, join(dirname(disk), basename(CONTAINER_DISK.dpdk)));
      }
      const kernelBoot = plan.kernel !== undefined;
      if (plan.kernel) {
        const boot = join(stage, 'boot');
        mkdirSync(boot);
        copyFileSync(plan.kernel, join(boot, basename(CONTAINER_DISK.kernel)));
        if (plan.initrd) copyFileSync(plan.initrd, join(boot, basename(CONTAINER_DISK.initrd)));
      }
      // KubeVirt reads the disk as its qemu user (107): readable by all, written by none.
      for (const f of readdirSync(stage, { recursive: true, withFileTypes: true }))
        if (f.isFile()) chmodSync(join(f.parentPath, f.name), 0o444);
      throwIfInterrupted();
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
      throwIfInterrupted();
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
      throwIfInterrupted();
      renameSync(tmp, file);
      return {
        file,
        reference: containerDiskTag(version),
        tag: version,
        bytes: statSync(file).size,
        diskBytes,
        kernelBoot,
        ...(dpdk ? { dpdkBuild: dpdk.file } : {}),
      };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
