// A guest image as a KubeVirt containerDisk: an OCI image archive, made with umoci from Debian (no
// registry, no daemon), holding the disk under /disk/ and, for lab's own image, the kernel and initrd
// under /boot/ that KubeVirt's kernelBoot takes from the same image, and a DPDK release build where
// the lab installs one.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LabError } from '../errors.js';
import { run } from '../host/exec.js';
import { throwIfInterrupted } from '../host/interrupt.js';
import { needTool, writeOciArchive } from './oci-archive.js';
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
  await needTool('umoci', 'exporting a containerDisk');
  if (dpdk && !existsSync(dpdk.file))
    throw new LabError({
      code: 'STATE',
      message: `this lab installs a DPDK release build, and none is cached for it yet (${dpdk.file})`,
      hint: 'Run `lab up` once: the guest builds DPDK and lab caches the build; then export again.',
    });
  const version = containerDiskVersion(plan, dpdk);
  return writeOciArchive(out, version, reporter, async ({ work, image, umoci }) => {
    const stage = join(work, 'stage');
    const disk = join(stage, 'disk', basename(CONTAINER_DISK.disk));
    mkdirSync(dirname(disk), { recursive: true });
    // zstd-compressed qcow2: a third of the size, and KubeVirt's QEMU reads it as it is.
    await reporter.step(`compress the disk (${plan.disk})`, () =>
      run(
        ['qemu-img', 'convert', '-f', plan.format, '-O', 'qcow2', '-c', '-o', 'compression_type=zstd', plan.disk, disk],
        { code: 'ENV_TOOL', what: 'compressing the guest disk' },
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
    return {
      reference: containerDiskTag(version),
      tag: version,
      diskBytes: statSync(disk).size,
      kernelBoot,
      ...(dpdk ? { dpdkBuild: dpdk.file } : {}),
    };
  });
}
