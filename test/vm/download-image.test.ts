// A lab on a downloaded disk image that boots itself, as a cloud image does: served over HTTP on
// loopback, downloaded with progress, checked against its sha256, cached, booted from its own disk
// (no kernel of lab's), provisioned by cloud-init, and passing lab test. The accelerator probe
// boots that same disk, read-only.
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage } from '../../src/image/build.js';
import { sha256File } from '../../src/image/seal.js';
import { imagePlan } from '../../src/image/recipe.js';
import { loadLab } from '../../src/core/load.js';
import { imageCacheRoot } from '../../src/layout.js';
import { quiet } from '../../src/progress.js';
import { probeAccel } from '../../src/nodes/qemu/accel.js';
import { qemuProfiles } from '../../src/nodes/qemu/files.js';
import { bootableImage } from '../helpers/bootable-image.js';
import { lab, labAsync, ROOT } from '../helpers/lab.js';

const TIMEOUT = 1_500_000;

describe('a lab on a downloaded disk image', () => {
  const work = mkdtempSync(join(tmpdir(), 'lab-dl-'));
  const name = `dl${process.pid % 100000}`;
  const file = join(work, 'lab.yaml');
  let server: Server | undefined;
  let sha256 = '';
  let requests = 0;

  beforeAll(async () => {
    // Made from the offline image's root file system and kernel, so it needs no network either.
    const offline = loadLab(join(ROOT, 'lab.yaml'));
    const base = imagePlan(offline, imageCacheRoot());
    await ensureImage(offline, base, quiet);
    const disk = bootableImage(base);
    sha256 = await sha256File(disk);
    server = createServer((req, res) => {
      requests++;
      res.setHeader('content-length', statSync(disk).size);
      createReadStream(disk).pipe(res);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'lab.yaml'), 'utf8')
        .replace(/^name: .*/m, `name: ${name}`)
        .replace(
          /^image:\n( {2}.*\n)+/m,
          `image:\n  url: http://127.0.0.1:${port}/bootable.qcow2\n  sha256: "${sha256}"\n`,
        )
        // The image's kernel command line is its own, with no intel_iommu=on: the plain machine and uio_pci_generic.
        .replace(/os_driver_for_dpdk: vfio-pci.*/, 'os_driver_for_dpdk: uio_pci_generic'),
    );
    // This test proves the download: an entry an earlier run cached goes first.
    rmSync(imagePlan(loadLab(file), imageCacheRoot()).dir, { recursive: true, force: true });
  }, TIMEOUT);

  afterAll(async () => {
    lab(['down', '-f', file, '--purge']);
    // The next run proves the download again; the bootable image itself stays cached.
    rmSync(imagePlan(loadLab(file), imageCacheRoot()).dir, { recursive: true, force: true });
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'downloads it with progress, checks its sha256, boots it from its own disk and passes lab test',
    async () => {
      const test = await labAsync(['test', '-f', file, '--json'], ROOT, TIMEOUT);
      expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
      expect(requests).toBe(1);
      expect(test.stderr).toMatch(/download http:\/\/127\.0\.0\.1:\d+\/bootable\.qcow2/);
      expect(test.stderr).toMatch(/\d+(\.\d+)? ?[KMG]i?B/);
      const plan = imagePlan(loadLab(file), imageCacheRoot());
      expect(existsSync(plan.disk)).toBe(true);
      expect(await sha256File(plan.disk)).toBe(sha256);
      const report = JSON.parse(test.stdout) as { counts: { passed: number; failed: number; skipped: number } };
      expect(report.counts).toEqual({ passed: 9, failed: 0, skipped: 1 });
      const script = readFileSync(join(work, '.lab', name, 'nodes', 'dut', 'qemu.sh'), 'utf8');
      expect(script, 'boots from the disk, not from a kernel lab hands QEMU').not.toContain('-kernel');
    },
    TIMEOUT,
  );

  it('the accelerator probe boots that disk read-only into init, and a cut-short boot fails', async () => {
    const disk = imagePlan(loadLab(file), imageCacheRoot()).disk;
    const before = await sha256File(disk);
    const probe = await probeAccel('tcg', qemuProfiles(), { disk });
    expect(probe).toMatchObject({
      works: true,
      depth: 'disk',
      detail: 'the guest image boots from its disk into init',
    });
    expect((await probeAccel('tcg', qemuProfiles(), { disk, timeoutMs: 200 })).works).toBe(false);
    expect(await sha256File(disk), 'the probe never writes the cached image').toBe(before);
  }, 300_000);

  it(
    'a second run uses the cached image: nothing is downloaded again',
    async () => {
      const up = await labAsync(['up', '-f', file], ROOT, TIMEOUT);
      expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
      expect(requests).toBe(1);
      const log = lab(['logs', 'dut', 'cloud-init', '-f', file]).stdout;
      expect(log, 'the packages lab needs are in the image, so no mirror was reached').toMatch(
        /lab-install-packages: all \d+ packages lab needs are installed/,
      );
      expect(lab(['down', '-f', file]).status).toBe(0);
    },
    TIMEOUT,
  );
});
