// The containerDisk archive as outside tools read it: skopeo inspects it, umoci unpacks it, and what
// comes out is what went in, readable by KubeVirt's qemu user; a DPDK release build rides along. A
// small stand-in image keeps this quick: the VM tier exports and boots the real one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors.js';
import { exportContainerDisk } from '../../src/image/container-disk.js';
import type { DpdkBuildPlan } from '../../src/image/dpdk-build.js';
import type { ImagePlan } from '../../src/image/recipe.js';
import { seal, sealIndex } from '../../src/image/seal.js';
import { quiet } from '../../src/progress.js';

const work = mkdtempSync(join(tmpdir(), 'lab-containerdisk-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

const images = join(work, 'images');
const plan: ImagePlan = {
  kind: 'debian',
  arch: 'x86_64',
  key: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  dir: join(images, 'debian-test'),
  disk: join(images, 'debian-test', 'disk.qcow2'),
  format: 'qcow2',
  kernel: join(images, 'debian-test', 'vmlinuz'),
  initrd: join(images, 'debian-test', 'initrd.img'),
  packages: [],
  debs: join(work, 'debs'),
  lock: join(work, 'image.lock'),
};
const builds = join(work, 'dpdk-builds');
const dpdk: DpdkBuildPlan = { key: 'ffee0011223344556677', file: join(builds, 'dpdk-24.03-ffee001122334455.tar') };

beforeAll(async () => {
  mkdirSync(plan.dir, { recursive: true });
  sh(['qemu-img', 'create', '-q', '-f', 'qcow2', plan.disk, '64M']);
  // Something for the disk to hold, so the compare below means something.
  sh(['qemu-io', '-f', 'qcow2', '-c', 'write -P 0x5a 1M 4M', plan.disk]);
  writeFileSync(plan.kernel!, 'kernel bytes');
  writeFileSync(plan.initrd!, 'initrd bytes');
  mkdirSync(builds);
  sh(['tar', '-cf', dpdk.file, '-C', work, 'images']);
  await seal(sealIndex(builds), [dpdk.file]);
});

describe('lab images export --format containerdisk', () => {
  it('writes an OCI archive skopeo reads and umoci unpacks into /disk/ and /boot/, every file read-only for all', async () => {
    const out = join(work, 'out', 'guest.tar');
    const r = await exportContainerDisk(plan, dpdk, out, quiet);
    expect(r).toMatchObject({
      file: out,
      tag: 'a1b2c3d4e5f6-dpdk-ffee00112233',
      reference: 'localhost/lab-guest:a1b2c3d4e5f6-dpdk-ffee00112233',
      kernelBoot: true,
      dpdkBuild: dpdk.file,
    });
    expect(r.bytes).toBe(statSync(out).size);
    const inspect = JSON.parse(sh(['skopeo', 'inspect', `oci-archive:${out}:${r.tag}`])) as {
      Architecture: string;
      Layers: string[];
      Labels: Record<string, string>;
    };
    expect(inspect.Layers.length).toBe(2);
    expect(inspect.Labels['org.opencontainers.image.version']).toBe(r.tag);
    const layout = join(work, 'layout');
    mkdirSync(layout);
    sh(['tar', '-xf', out, '-C', layout]);
    sh(['umoci', 'unpack', '--image', `${layout}:${r.tag}`, join(work, 'bundle')]);
    const rootfs = join(work, 'bundle', 'rootfs');
    sh(['qemu-img', 'compare', '-q', join(rootfs, 'disk', 'disk.qcow2'), plan.disk]);
    expect(readFileSync(join(rootfs, 'boot', 'vmlinuz'), 'utf8')).toBe('kernel bytes');
    expect(readFileSync(join(rootfs, 'boot', 'initrd.img'), 'utf8')).toBe('initrd bytes');
    expect(readFileSync(join(rootfs, 'disk', 'dpdk.tar')).equals(readFileSync(dpdk.file))).toBe(true);
    for (const f of ['disk/disk.qcow2', 'disk/dpdk.tar', 'boot/vmlinuz', 'boot/initrd.img'])
      expect((statSync(join(rootfs, f)).mode & 0o777).toString(8), f).toBe('444');
    // The work folder beside the archive is gone.
    expect(readdirSync(join(work, 'out'))).toEqual(['guest.tar']);
  }, 120_000);

  it('a failure leaves no archive and no work folder behind', async () => {
    const out = join(work, 'broken', 'guest.tar');
    const broken = { ...plan, disk: join(work, 'no-such-disk.qcow2') };
    await expect(exportContainerDisk(broken, undefined, out, quiet)).rejects.toThrow(
      /compressing the guest disk failed/,
    );
    expect(readdirSync(join(work, 'broken'))).toEqual([]);
  });

  it('a lab that installs a DPDK release build has it cached first, or is told how', async () => {
    const out = join(work, 'nobuild', 'guest.tar');
    const err = await exportContainerDisk(plan, { ...dpdk, file: join(builds, 'missing.tar') }, out, quiet).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).problems[0]!.hint).toMatch(/lab up/);
  });
});
