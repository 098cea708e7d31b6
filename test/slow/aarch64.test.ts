// An aarch64 guest, the seed's own platform, under TCG on this x86-64 host: its image built from
// Debian's arm64 packages (through qemu-user-static), both apps built in it and passing lab test,
// the guest saying aarch64 and the apps aarch64 ELF; then a warm lab up from its provisioned
// snapshot; then a self-booting arm64 disk made from that image, downloaded and booted through UEFI
// as an Arm cloud image is. Behind LAB_SLOW=1: emulating another architecture makes the image build
// and each boot many minutes (docs/performance.md).
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/core/bench-apps.js';
import { loadLab } from '../../src/core/load.js';
import { defaultArch } from '../../src/config/arch.js';
import { ensureImage } from '../../src/image/build.js';
import { imagePlan } from '../../src/image/recipe.js';
import { sha256File } from '../../src/image/seal.js';
import { imageCacheRoot } from '../../src/layout.js';
import { quiet } from '../../src/progress.js';
import { bootableImage } from '../helpers/bootable-image.js';
import { lab, labAsync, ROOT } from '../helpers/lab.js';
import { expectConsistentSearch } from '../helpers/search.js';

const SLOW = process.env.LAB_SLOW === '1';
const TIMEOUT = 3 * 3_600_000;

describe.runIf(SLOW)('an aarch64 lab (examples/aarch64.yaml)', () => {
  const work = mkdtempSync(join(tmpdir(), 'lab-arm-'));
  const name = `arm${process.pid % 100000}`;
  const file = join(work, 'lab.yaml');
  writeFileSync(file, readFileSync(join(ROOT, 'examples/aarch64.yaml'), 'utf8').replace(/^name: .*/m, `name: ${name}`));

  afterAll(() => {
    lab(['down', '-f', file, '--purge']);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'passes lab test with both apps under TCG, says why TCG, and names its architecture',
    async () => {
      const test = await labAsync(['test', '-f', file, '--json', '--html', join(work, 'report.html')], ROOT, TIMEOUT);
      expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
      const report = JSON.parse(test.stdout) as { counts: { passed: number; failed: number } };
      expect(report.counts).toMatchObject({ failed: 0 });
      expect(report.counts.passed).toBeGreaterThanOrEqual(9);
      // Emulated on an x86-64 host, and said so; on an Arm host the usual probe decides.
      expect(test.stderr).toMatch(
        process.arch === 'x64' ? /accelerator tcg \(aarch64 guest on an x86_64 host: TCG\)/ : /accelerator (kvm|tcg) /,
      );
      expect(readFileSync(join(work, 'report.html'), 'utf8')).toContain('qemu aarch64');
    },
    TIMEOUT,
  );

  it(
    'comes up warm from its provisioned snapshot; the guest is aarch64 and so are the apps it built',
    async () => {
      const up = await labAsync(['up', '-f', file], ROOT, TIMEOUT);
      expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
      expect(up.stderr).toContain('start QEMU from the provisioned snapshot (-loadvm)');
      expect(lab(['ssh', 'dut', '-f', file, '--', 'uname', '-m']).stdout.trim()).toBe('aarch64');
      // e_machine, at byte 18 of the ELF header: 0xb7 is EM_AARCH64.
      for (const app of ['l2_echo', 'l2_multi_echo', 'l2probe']) {
        const elf = lab([
          'ssh',
          'dut',
          '-f',
          file,
          '--',
          'od',
          '-An',
          '-tx1',
          '-j18',
          '-N2',
          `/opt/lab/native/build/${app}`,
        ]);
        expect(elf.stdout.trim(), app).toBe('b7 00');
      }
      expect(lab(['down', '-f', file]).status).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'boots a downloaded arm64 disk through UEFI (its own GRUB), from image: {url, sha256}, and passes lab test',
    async () => {
      const arm = loadLab(file);
      const base = imagePlan(arm, imageCacheRoot(), 'aarch64');
      await ensureImage(arm, base, quiet);
      const disk = bootableImage(base);
      const sha256 = await sha256File(disk);
      const server = createServer((_req, res) => {
        res.setHeader('content-length', statSync(disk).size);
        createReadStream(disk).pipe(res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const downloaded = join(work, 'downloaded.yaml');
      try {
        const { port } = server.address() as AddressInfo;
        writeFileSync(
          downloaded,
          readFileSync(file, 'utf8')
            .replace(/^name: .*/m, `name: d${name}`)
            .replace(
              /^image:\n( {2}.*\n)+/m,
              `image:\n  url: http://127.0.0.1:${port}/arm64.qcow2\n  sha256: "${sha256}"\n`,
            ),
        );
        const test = await labAsync(['test', '-f', downloaded, '--json'], ROOT, TIMEOUT);
        expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
        expect((JSON.parse(test.stdout) as { counts: { failed: number } }).counts.failed).toBe(0);
        const script = readFileSync(join(work, '.lab', `d${name}`, 'nodes', 'dut', 'qemu.sh'), 'utf8');
        expect(script, "UEFI's firmware, and no kernel of lab's").toContain(
          '-bios /usr/share/qemu-efi-aarch64/QEMU_EFI.fd',
        );
        expect(script).not.toContain('-kernel');
      } finally {
        lab(['down', '-f', downloaded, '--purge']);
        rmSync(imagePlan(loadLab(downloaded), imageCacheRoot(), 'aarch64').dir, { recursive: true, force: true });
        await new Promise((resolve) => server.close(resolve));
      }
    },
    TIMEOUT,
  );
});

describe.runIf(SLOW)("an aarch64 DUT beside a tester VM of this host's architecture (examples/two-vm.yaml)", () => {
  // Two images in one lab: the tester's (this host's architecture, usually KVM-less x86-64 here) and
  // the DUT's (aarch64). The tester VM drives verify and bench over SSH, as on x86-64.
  const work = mkdtempSync(join(tmpdir(), 'lab-arm2-'));
  const name = `am${process.pid % 100000}`;
  const file = join(work, 'lab.yaml');
  writeFileSync(
    file,
    readFileSync(join(ROOT, 'examples/two-vm.yaml'), 'utf8')
      .replace(/^name: .*/m, `name: ${name}`)
      .replace('  dut:\n', '  dut:\n    arch: aarch64\n')
      // The other driver lab binds: no SMMUv3 on this virt machine, and DPDK through uio.
      .replace('os_driver_for_dpdk: vfio-pci', 'os_driver_for_dpdk: uio_pci_generic'),
  );
  afterAll(() => {
    lab(['down', '-f', file, '--purge']);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'comes up with one image per architecture; lab graph names both',
    async () => {
      const up = await labAsync(['up', '-f', file], ROOT, TIMEOUT);
      expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
      const graph = lab(['graph', '-f', file]).stdout;
      expect(graph).toContain('dut (qemu aarch64, 3 CPUs)');
      expect(graph).toContain(`tst (qemu ${defaultArch()}, 2 CPUs)`);
      expect(lab(['ssh', 'dut', '-f', file, '--', 'uname', '-m']).stdout.trim()).toBe('aarch64');
      expect(lab(['ssh', 'tst', '-f', file, '--', 'uname', '-m']).stdout.trim()).toBe(defaultArch());
      const qemu = readFileSync(join(work, '.lab', name, 'nodes', 'dut', 'qemu.sh'), 'utf8');
      expect(qemu, 'uio_pci_generic needs no virtual IOMMU').toContain('-machine virt,gic-version=3 ');
    },
    TIMEOUT,
  );

  it(
    'lab bench and lab verify from the tester VM against l2_multi_echo on the aarch64 DUT',
    async () => {
      const run = await labAsync(['run', 'l2_multi_echo', '--detach', '-f', file, '--json'], ROOT, TIMEOUT);
      expect(run.status, run.stderr).toBe(0);
      expect(
        basename(lab(['ssh', 'dut', '-f', file, '--', 'readlink', '/sys/class/uio/uio0/device/driver']).stdout.trim()),
        'DPDK drives the NIC through uio',
      ).toBe('uio_pci_generic');
      const b = await labAsync(
        ['bench', 'l2_multi_echo', '-f', file, '--json', '--sizes', '64,1518', '--trial', '0.5'],
        ROOT,
        TIMEOUT,
      );
      expect(b.status, b.stderr).toBe(0);
      const rows = (JSON.parse(b.stdout) as BenchResult).apps[0]!.rows;
      expect(rows.map((x) => x.frame_size)).toEqual([64, 1518]);
      for (const row of rows) expectConsistentSearch(row.rate_pps, row.trials);
      console.log(
        `lab bench, aarch64 DUT from an ${defaultArch()} tester VM: ${rows.map((x) => `${x.frame_size} B ${x.rate_pps} pps (limited by ${x.limited_by})`).join(', ')}`,
      );
      const v = await labAsync(['verify', 'l2_multi_echo', '-f', file, '--json'], ROOT, TIMEOUT);
      expect(v.status, `${v.stdout}\n${v.stderr}`).toBe(0);
      const rss = (
        JSON.parse(v.stdout) as { checks: Array<{ check: string; status: string; data: Array<{ rx: number }> }> }
      ).checks.find((c) => c.check === 'rss')!;
      expect(rss.status).toBe('passed');
      expect(rss.data.every((q) => q.rx > 0)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'lab reset dut stops the app and restarts the aarch64 VM from its provisioned snapshot; the tester is untouched',
    async () => {
      const before = status();
      const t0 = Date.now();
      const reset = await labAsync(['reset', 'dut', '-f', file, '--json'], ROOT, TIMEOUT);
      expect(reset.status, reset.stderr).toBe(0);
      expect((JSON.parse(reset.stdout) as { nodes: Array<{ node: string; appsStopped: string[] }> }).nodes).toEqual([
        expect.objectContaining({ node: 'dut', appsStopped: ['l2_multi_echo'] }),
      ]);
      console.log(`lab reset of the aarch64 DUT: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const after = status();
      expect(after.apps).toEqual({});
      expect(after.nodes.dut!.qemu!.proc, 'a new QEMU, from the snapshot').not.toEqual(before.nodes.dut!.qemu!.proc);
      expect(after.nodes.tst!.qemu!.proc, 'the tester keeps running').toEqual(before.nodes.tst!.qemu!.proc);
      const mac = loadLab(file).nodes.find((n) => n.name === 'dut')!.nics[0]!.mac;
      const links = JSON.parse(lab(['ssh', 'dut', '-f', file, '--', 'ip', '-j', 'link', 'show']).stdout) as Array<{
        address?: string;
      }>;
      expect(
        links.some((l) => l.address === mac),
        'the kernel has the NIC again',
      ).toBe(true);
      expect((await labAsync(['run', 'l2_echo', '--detach', '-f', file], ROOT, TIMEOUT)).status).toBe(0);
      const v = await labAsync(['verify', 'l2_echo', '-f', file, '--json'], ROOT, TIMEOUT);
      expect(v.status, `${v.stdout}\n${v.stderr}`).toBe(0);
      expect(lab(['down', '-f', file]).status).toBe(0);
    },
    TIMEOUT,
  );

  /** What lab's state file says of the VMs' QEMU processes and the running apps. */
  function status(): {
    nodes: Record<string, { qemu?: { proc: unknown } }>;
    apps: Record<string, unknown>;
  } {
    return JSON.parse(readFileSync(join(work, '.lab', name, 'state.json'), 'utf8'));
  }
});
