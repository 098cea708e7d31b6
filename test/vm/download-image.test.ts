// A lab on a downloaded disk image that boots itself, as a cloud image does: served over HTTP on
// loopback, downloaded with progress, checked against its sha256, cached, booted from its own disk
// (no kernel of lab's), provisioned by cloud-init, and passing lab test. The accelerator probe
// boots that same disk, read-only. Its root, kernel and initrd are taken out of the containerDisk
// `lab images export` writes, read by skopeo and umoci: so that archive is proven to boot, on the
// plain machine with uio_pci_generic, as on KubeVirt.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage } from '../../src/image/build.js';
import { sha256File } from '../../src/image/seal.js';
import { imagePlan, type ImagePlan } from '../../src/image/recipe.js';
import { loadLab } from '../../src/core/load.js';
import { imageCacheRoot } from '../../src/layout.js';
import { quiet } from '../../src/progress.js';
import { probeAccel } from '../../src/nodes/qemu/accel.js';
import { qemuProfiles } from '../../src/nodes/qemu/files.js';
import { bootableImage } from '../helpers/bootable-image.js';
import { lab, labAsync, ROOT } from '../helpers/lab.js';
import { waitFor } from '../../src/host/wait.js';

const TIMEOUT = 1_500_000;

/** What KubeVirt would boot: the disk, kernel and initrd out of the archive lab exports, checked to be the image's own. */
async function containerDiskFiles(
  base: ImagePlan,
  work: string,
): Promise<Required<Pick<ImagePlan, 'disk' | 'kernel' | 'initrd'>>> {
  const archive = join(work, 'dut.containerdisk.tar');
  await interruptedExport(join(work, 'interrupted', 'dut.tar'));
  const exported = await labAsync(
    ['images', 'export', 'dut', '-f', 'lab.yaml', '--out', archive, '--json'],
    ROOT,
    TIMEOUT,
  );
  expect(exported.status, exported.stderr).toBe(0);
  const { tag, bytes } = JSON.parse(exported.stdout) as { tag: string; bytes: number };
  console.log(`containerDisk archive: ${(bytes / 2 ** 20).toFixed(0)} MiB`);
  // containers/image's reading of it, independent of umoci's writing.
  const inspect = JSON.parse(sh(['skopeo', 'inspect', `oci-archive:${archive}:${tag}`])) as {
    Architecture: string;
    Os: string;
    Layers: string[];
  };
  expect(inspect).toMatchObject({ Architecture: 'amd64', Os: 'linux' });
  expect(inspect.Layers.length).toBe(2);
  const layout = join(work, 'layout');
  const bundle = join(work, 'bundle');
  mkdirSync(layout);
  sh(['tar', '-xf', archive, '-C', layout]);
  sh(['umoci', 'unpack', '--image', `${layout}:${tag}`, bundle]);
  const rootfs = join(bundle, 'rootfs');
  const files = {
    disk: join(rootfs, 'disk', 'disk.qcow2'),
    kernel: join(rootfs, 'boot', 'vmlinuz'),
    initrd: join(rootfs, 'boot', 'initrd.img'),
  };
  // The same guest-visible bytes as the image lab boots here, however compressed.
  sh(['qemu-img', 'compare', '-f', 'qcow2', '-F', base.format, files.disk, base.disk]);
  expect(readFileSync(files.kernel).equals(readFileSync(base.kernel!))).toBe(true);
  expect(readFileSync(files.initrd).equals(readFileSync(base.initrd!))).toBe(true);
  return files;
}

/** Ctrl-C once the disk is being compressed: exit 130, and nothing in the folder, not even the work beside the archive. */
async function interruptedExport(out: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/lab.js'), 'images', 'export', 'dut', '-f', 'lab.yaml', '--out', out],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(await waitFor(() => stderr.includes('compress the disk'), { timeoutMs: 120_000 }), stderr).toBe(true);
  child.kill('SIGINT');
  expect(await exited, stderr).toBe(130);
  expect(readdirSync(dirname(out))).toEqual([]);
}

function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

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
    const disk = bootableImage(base, await containerDiskFiles(base, work));
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
    const probe = await probeAccel('tcg', qemuProfiles('x86_64'), { disk });
    expect(probe).toMatchObject({
      works: true,
      depth: 'disk',
      detail: 'the guest image boots from its disk into init',
    });
    expect((await probeAccel('tcg', qemuProfiles('x86_64'), { disk, timeoutMs: 200 })).works).toBe(false);
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
    },
    TIMEOUT,
  );

  // As the tester Job does on a cluster: a lab whose VM lab did not start, found over SSH at an
  // address with the keys lab render made, tested from inside the namespace it runs in. Here the
  // VM is the one above, the namespace its lab's, and the keys its state folder's.
  it(
    'lab test --target kubevirt drives a running VM it did not start, and leaves it and its lab as they were',
    async () => {
      const status = () =>
        JSON.parse(lab(['status', '-f', file, '--json']).stdout) as {
          nodes: Array<{ state: string; pid?: number; sshPort?: number }>;
        };
      const before = status();
      expect(before.nodes[0]!.state).toBe('running');
      const pod = join(work, 'pod');
      mkdirSync(pod);
      const spec = join(pod, 'lab.yaml');
      copyFileSync(file, spec);
      const { sshPort } = before.nodes[0]!;
      const args = [
        '--target',
        'kubevirt',
        '--keys',
        join(work, '.lab', name),
        '--address',
        `dut=127.0.0.1:${sshPort}`,
      ];
      const test = await labAsync(['test', '-f', spec, ...args, '--json'], ROOT, TIMEOUT, `lab-${name}`);
      expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
      const report = JSON.parse(test.stdout) as { counts: { passed: number; failed: number } };
      expect(report.counts).toMatchObject({ passed: 9, failed: 0 });
      expect(test.stderr).toMatch(/dut: wait for SSH \(127\.0\.0\.1:\d+ from lab-/);
      expect(existsSync(join(pod, '.lab', name, 'state.json')), 'its down removed its state').toBe(false);
      const after = status();
      expect(after.nodes[0]).toMatchObject({ state: 'running', pid: before.nodes[0]!.pid });
      expect(existsSync(`/run/netns/lab-${name}`), "the lab's namespace is still named").toBe(true);
      // In a namespace without the tester's interfaces it says which are missing, and leaves no name behind.
      const other = `o${name}`;
      const otherSpec = join(pod, 'other.yaml');
      writeFileSync(otherSpec, readFileSync(spec, 'utf8').replace(/^name: .*/m, `name: ${other}`));
      const empty = `labtest-pod-${process.pid}`;
      execFileSync('ip', ['netns', 'add', empty]);
      try {
        const elsewhere = await labAsync(['up', '-f', otherSpec, ...args], ROOT, TIMEOUT, empty);
        expect(elsewhere.status).not.toBe(0);
        expect(elsewhere.stderr).toContain(`has no interface ${loadLab(file).nodes[0]!.nics[0]!.labnsIf}`);
        expect(existsSync(`/run/netns/lab-${other}`)).toBe(false);
      } finally {
        execFileSync('ip', ['netns', 'delete', empty]);
      }
      expect(lab(['down', '-f', file]).status).toBe(0);
    },
    TIMEOUT,
  );
});
