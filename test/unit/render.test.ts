import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLab } from '../../src/core/load.js';
import { labRender } from '../../src/core/render.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readJsonAsset } from '../../src/assets.js';
import { firstBootPackages } from '../../src/image/packages.js';
import { imagePlan } from '../../src/image/recipe.js';
import { nodePaths } from '../../src/layout.js';
import { dpdkBuildPlan } from '../../src/image/dpdk-build.js';
import { mesonOptions, renderSeed, type GuestAssets } from '../../src/render/cloud-init.js';
import { tapCommands } from '../../src/render/hostnet.js';
import { farEndCommands } from '../../src/wires/registry.js';
import type { Nic } from '../../src/config/lab.js';
import { accelProbeArgv, qemuArgv, type QemuProfiles, type QemuRuntime } from '../../src/render/qemu.js';
import { shellCommand, shellQuote } from '../../src/render/shell.js';
import { renderVm } from '../../src/render/vm.js';
import { labFrom, MINIMAL } from '../helpers/lab.js';

const profiles = readJsonAsset<Record<string, QemuProfiles>>('qemu', 'profiles.json').x86_64!;
const runtime: QemuRuntime = {
  lab: 't',
  accel: 'tcg',
  sshPort: 2222,
  boot: { disk: '/s/disk.qcow2', seed: '/s/seed.iso', kernel: '/c/vmlinuz', initrd: '/c/initrd.img' },
  qmp: '/s/qmp.sock',
  serial: '/s/serial.log',
  pidfile: '/s/qemu.pid',
  daemonize: true,
};

/** The value following a flag, for each time the flag appears. */
function values(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));
}

describe('QEMU argv', () => {
  const lab = labFrom(MINIMAL);
  const argv = qemuArgv(lab.nodes[0]!, runtime, profiles);

  it('renders each data-plane NIC as a multiqueue tap and a virtio-net-pci with mq=on and 2N+2 vectors', () => {
    expect(values(argv, '-netdev')).toContain('tap,id=dp0,ifname=dut-dp0,script=no,downscript=no,queues=2,vhost=off');
    const nic = values(argv, '-device').find((d) => d.includes('netdev=dp0'))!;
    expect(nic.split(',')).toEqual(
      expect.arrayContaining(['virtio-net-pci', 'mq=on', 'vectors=6', `mac=${lab.nodes[0]!.nics[0]!.mac}`]),
    );
  });

  it('puts vfio-pci NICs behind a virtual IOMMU created before them, and turns it on in the guest kernel', () => {
    expect(values(argv, '-machine')).toEqual(['q35']);
    const devices = values(argv, '-device');
    expect(devices.findIndex((d) => d === 'intel-iommu')).toBeLessThan(
      devices.findIndex((d) => d.includes('netdev=dp0')),
    );
    expect(devices.find((d) => d.includes('netdev=dp0'))).toContain('iommu_platform=on,disable-legacy=on');
    expect(values(argv, '-append')[0]).toContain('intel_iommu=on');
  });

  it('uses the plain pc machine with no IOMMU for uio_pci_generic', () => {
    const uio = labFrom(MINIMAL.replace('queues: 2', 'queues: 2\n        os_driver_for_dpdk: uio_pci_generic'));
    const a = qemuArgv(uio.nodes[0]!, runtime, profiles);
    expect(values(a, '-machine')).toEqual(['pc']);
    expect(a.join(' ')).not.toContain('intel-iommu');
    expect(a.join(' ')).not.toContain('iommu_platform');
  });

  it('asks for device RSS only when the NIC wants it', () => {
    expect(argv.join(' ')).not.toContain('rss=on');
    const rss = labFrom(MINIMAL.replace('queues: 2', 'queues: 2\n        rss: true'));
    expect(qemuArgv(rss.nodes[0]!, runtime, profiles).join(' ')).toContain('rss=on,hash=on');
  });

  it('forwards SSH from 127.0.0.1 only, and wires QMP, serial, pidfile and both disks', () => {
    expect(values(argv, '-netdev')).toContain('user,id=mgmt,hostfwd=tcp:127.0.0.1:2222-:22');
    expect(values(argv, '-qmp')).toEqual(['unix:/s/qmp.sock,server=on,wait=off']);
    expect(values(argv, '-serial')).toEqual(['file:/s/serial.log']);
    expect(values(argv, '-pidfile')).toEqual(['/s/qemu.pid']);
    expect(values(argv, '-drive')).toEqual([
      'file=/s/disk.qcow2,if=virtio,format=qcow2,discard=unmap',
      'file=/s/seed.iso,if=virtio,format=raw,readonly=on',
    ]);
    expect(values(argv, '-accel')).toEqual(['tcg']);
    expect(values(argv, '-smp')).toEqual(['3']);
    expect(values(argv, '-m')).toEqual(['2048M']);
    expect(argv).toContain('-daemonize');
  });

  it('boots the kernel directly when the image has one, and not otherwise', () => {
    expect(values(argv, '-kernel')).toEqual(['/c/vmlinuz']);
    // By label: a cached DPDK build's disk can come before the root disk in the guest's order.
    expect(values(argv, '-append')[0]).toContain('root=LABEL=root');
    const noKernel = qemuArgv(lab.nodes[0]!, { ...runtime, boot: { disk: '/d', seed: '/s' } }, profiles);
    expect(noKernel).not.toContain('-kernel');
    expect(noKernel).not.toContain('-append');
  });

  it('adds the split irqchip and interrupt remapping only under KVM', () => {
    const kvm = qemuArgv(lab.nodes[0]!, { ...runtime, accel: 'kvm' }, profiles);
    expect(values(kvm, '-machine')).toEqual(['q35,kernel-irqchip=split']);
    expect(values(kvm, '-device')).toContain('intel-iommu,intremap=on');
    expect(values(kvm, '-cpu')).toEqual(['host']);
  });
});

const assets: GuestAssets = {
  base: { ssh_pwauth: false },
  authorizedKey: 'ssh-ed25519 AAAAlab lab-t\n',
  hostKey: {
    private: '-----BEGIN OPENSSH PRIVATE KEY-----\nxyz\n-----END OPENSSH PRIVATE KEY-----\n',
    public: 'ssh-ed25519 AAAAhost dut\n',
  },
  scripts: [{ path: 'lab-install-dpdk', content: '#!/bin/sh\n', executable: true }],
  native: [{ path: 'l2_echo.c', content: 'int main(void) { return 0; }\n', executable: false }],
  packages: [],
};

describe('cloud-init seed', () => {
  const lab = labFrom(MINIMAL);
  const seed = renderSeed(lab, lab.nodes[0]!, assets);
  const user = parse(seed.userData) as Record<string, any>;

  it('is a #cloud-config with the lab user, its key, and no passwords', () => {
    expect(seed.userData.startsWith('#cloud-config\n')).toBe(true);
    expect(user.users[0]).toMatchObject({
      name: 'lab',
      lock_passwd: true,
      ssh_authorized_keys: ['ssh-ed25519 AAAAlab lab-t'],
    });
    expect(user.ssh_pwauth).toBe(false);
  });

  it('installs the host key lab generated, so the first connection is already verified', () => {
    expect(user.ssh_keys).toEqual({
      ed25519_private: assets.hostKey.private,
      ed25519_public: 'ssh-ed25519 AAAAhost dut',
    });
  });

  it('writes the native sources and guest scripts, and builds DPDK then the apps', () => {
    const paths = user.write_files.map((f: { path: string }) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/opt/lab/native/l2_echo.c',
        '/opt/lab/bin/lab-install-dpdk',
        '/etc/lab/dpdk.env',
        '/etc/lab/hugepages.env',
      ]),
    );
    expect(user.write_files.find((f: { path: string }) => f.path === '/opt/lab/bin/lab-install-dpdk').permissions).toBe(
      '0755',
    );
    expect(user.runcmd).toEqual(['/opt/lab/bin/lab-install-dpdk && /opt/lab/bin/lab-build-apps']);
    expect(user.write_files.find((f: { path: string }) => f.path === '/etc/lab/dpdk.env').content).toContain(
      'DPDK_SOURCE=distro\n',
    );
    expect(user.write_files.find((f: { path: string }) => f.path === '/etc/lab/hugepages.env').content).toBe(
      'HUGEPAGES_SIZE=2M\nHUGEPAGES_COUNT=256\n',
    );
  });

  it('installs packages only for a downloaded image (the offline image has them built in), and only those missing', () => {
    expect(firstBootPackages(lab)).toEqual([]);
    expect(user.packages).toBeUndefined();
    const dl = labFrom(`image: { url: "https://example.invalid/x.img", sha256: ${'b'.repeat(64)} }\n${MINIMAL}`);
    const dlUser = parse(
      renderSeed(dl, dl.nodes[0]!, { ...assets, packages: firstBootPackages(dl) }).userData,
    ) as Record<string, any>;
    const list = dlUser.write_files.find((f: { path: string }) => f.path === '/etc/lab/packages').content.split('\n');
    expect(list).toEqual(expect.arrayContaining(['openssh-server', 'dpdk', 'libdpdk-dev', 'build-essential']));
    expect(dlUser.runcmd).toEqual([
      '/opt/lab/bin/lab-install-packages && /opt/lab/bin/lab-install-dpdk && /opt/lab/bin/lab-build-apps',
    ]);
    expect(dlUser.packages, 'only what is missing is installed, by lab-install-packages').toBeUndefined();
  });

  it('configures the management NIC by DHCP and the data-plane NIC statically, both matched by MAC', () => {
    const net = parse(seed.networkConfig) as Record<string, any>;
    expect(net.version).toBe(2);
    expect(net.ethernets.dp0).toEqual({
      match: { macaddress: lab.nodes[0]!.nics[0]!.mac },
      dhcp4: false,
      addresses: ['10.10.0.2/24'],
    });
    expect(net.ethernets.mgmt.dhcp4).toBe(true);
  });

  it('reads the same under YAML 1.1, as cloud-init parses it: MACs and file modes stay strings', () => {
    const net = parse(seed.networkConfig, { version: '1.1' }) as Record<string, any>;
    expect(net.ethernets.dp0.match.macaddress).toBe(lab.nodes[0]!.nics[0]!.mac);
    expect(net.ethernets.mgmt.match.macaddress).toMatch(/^52:54:00:/);
    const user11 = parse(seed.userData, { version: '1.1' }) as Record<string, any>;
    for (const f of user11.write_files) expect(typeof f.permissions).toBe('string');
    expect(user11).toEqual(user);
  });

  it('changes the instance-id whenever what the guest is given changes', () => {
    const meta = parse(seed.metaData) as Record<string, string>;
    expect(meta['local-hostname']).toBe('dut');
    const other = labFrom(MINIMAL.replace('10.10.0.2/24', '10.10.0.3/24'));
    const otherMeta = parse(renderSeed(other, other.nodes[0]!, assets).metaData) as Record<string, string>;
    expect(otherMeta['instance-id']).not.toBe(meta['instance-id']);
  });
});

/** The VM's wires as the QEMU driver hands them to renderVm: from the wire kinds. */
const wiring = (netns: string) => ({ shared: [], farEnd: (nic: Nic) => farEndCommands(netns, nic) });

describe('qemu.sh', () => {
  it('is the same command lab up runs, with the namespace and taps it needs', () => {
    const lab = labFrom(MINIMAL);
    const image = imagePlan(lab, '/cache');
    const r = renderVm(
      lab,
      lab.nodes[0]!,
      {
        netns: 'lab-t',
        wiring: wiring('lab-t'),
        accel: 'tcg',
        sshPort: 2222,
        image,
        paths: nodePaths('/state', 'dut'),
      },
      profiles,
      assets,
    );
    expect(r.script).toContain('ip netns add lab-t');
    expect(r.script).toContain('ip -n lab-t tuntap add dev dut-dp0 mode tap multi_queue');
    expect(r.script).toContain('ip -n lab-t addr add 10.10.0.1/24 dev dut-dp0');
    expect(r.script).toContain(`exec ip netns exec lab-t ${r.argv[0]}`);
    expect(r.script).toContain(`-kernel ${image.kernel}`);
  });

  it('drops QEMU to the dedicated user once its files are open, under seccomp, with taps that user owns', () => {
    const lab = labFrom(MINIMAL);
    const image = imagePlan(lab, '/cache');
    const r = renderVm(
      lab,
      lab.nodes[0]!,
      {
        netns: 'lab-t',
        wiring: wiring('lab-t'),
        accel: 'tcg',
        sshPort: 2222,
        image,
        paths: nodePaths('/state', 'dut'),
        runAs: 'lab-qemu',
      },
      profiles,
      assets,
    );
    expect(values(r.argv, '-runas')).toEqual(['lab-qemu']);
    expect(values(r.argv, '-sandbox')).toEqual(['on,obsolete=deny,resourcecontrol=deny']);
    expect(r.script).toContain('ip -n lab-t tuntap add dev dut-dp0 mode tap user lab-qemu multi_queue');
    // Without root there is no one to drop to: QEMU already runs as lab's user.
    const plain = renderVm(
      lab,
      lab.nodes[0]!,
      {
        netns: 'lab-t',
        wiring: wiring('lab-t'),
        accel: 'tcg',
        sshPort: 2222,
        image,
        paths: nodePaths('/state', 'dut'),
      },
      profiles,
      assets,
    );
    expect(plain.argv).not.toContain('-runas');
    expect(values(plain.argv, '-sandbox')).toHaveLength(1);
  });

  it('makes a multiqueue tap only for a NIC with several queues: QEMU opens a one-queue tap without IFF_MULTI_QUEUE', () => {
    const one = labFrom(MINIMAL.replace('queues: 2', 'queues: 1').replace(/ {2}multi:\n( {4}.*\n)+/, ''));
    expect(tapCommands('lab-t', one.nodes[0]!.nics[0]!)[0]).toEqual([
      'ip',
      '-n',
      'lab-t',
      'tuntap',
      'add',
      'dev',
      'dut-dp0',
      'mode',
      'tap',
    ]);
    expect(tapCommands('lab-t', labFrom(MINIMAL).nodes[0]!.nics[0]!)[0]).toContain('multi_queue');
  });

  it('quotes words for the shell only when needed', () => {
    expect(shellQuote('a,b=c:/d')).toBe('a,b=c:/d');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellCommand(['q', '-m', '1G', '-x'])).toBe('q \\\n  -m 1G \\\n  -x');
  });
});

describe('image recipe', () => {
  it('keys the offline image by its recipe: same recipe, same key; a new package, a new key', () => {
    const a = imagePlan(labFrom(MINIMAL), '/c');
    expect(imagePlan(labFrom(MINIMAL), '/c').key).toBe(a.key);
    const b = imagePlan(labFrom(`image: { debian: { packages: [tcpdump] } }\n${MINIMAL}`), '/c');
    expect(b.key).not.toBe(a.key);
    expect(a.packages).toEqual(
      expect.arrayContaining(['linux-image-amd64', 'cloud-init', 'openssh-server', 'dpdk', 'libdpdk-dev']),
    );
  });
});

describe('accelerator probe guest', () => {
  it('boots the guest kernel with no root, so its init runs to the end and QEMU exits on the panic', () => {
    const argv = accelProbeArgv(profiles, 'kvm', { kernel: '/cache/vmlinuz' });
    expect(values(argv, '-accel')).toEqual(['kvm']);
    expect(values(argv, '-cpu')).toEqual(['host']);
    expect(values(argv, '-kernel')).toEqual(['/cache/vmlinuz']);
    expect(values(argv, '-append')).toEqual(['console=ttyS0 panic=-1']);
    expect(argv).toContain('-no-reboot');
    expect(argv).not.toContain('-initrd');
  });

  it("boots a downloaded image from its own disk, read-only, with no kernel of lab's", () => {
    const argv = accelProbeArgv(profiles, 'kvm', { disk: '/cache/sha256-x/disk.img' });
    expect(values(argv, '-drive')).toEqual(['file=/cache/sha256-x/disk.img,if=virtio,format=qcow2,snapshot=on']);
    expect(argv).not.toContain('-kernel');
    expect(values(argv, '-serial')).toEqual(['stdio']);
  });

  it('without a kernel or disk tries only the firmware, on its debug console', () => {
    const argv = accelProbeArgv(profiles, 'tcg', {});
    expect(argv).not.toContain('-kernel');
    expect(values(argv, '-device')).toEqual(['isa-debugcon,iobase=0x402,chardev=dbg']);
  });
});

describe('a DPDK release build', () => {
  it("writes the guest's env file quoted, so no value can run as code in the root script that sources it", () => {
    const lab = labFrom(`dpdk: { source: release, version: "22.11.11", sha256: ${'a'.repeat(64)} }\n${MINIMAL}`);
    // As if a value got past the schema: a quote and a command substitution.
    const hostile = "https://x.invalid/d.tar.xz';touch /tmp/lab-pwned;'$(id)";
    lab.dpdk.url = hostile;
    const user = parse(renderSeed(lab, lab.nodes[0]!, assets).userData) as {
      write_files: Array<{ path: string; content: string }>;
    };
    const env = user.write_files.find((f) => f.path === '/etc/lab/dpdk.env')!.content;
    const r = spawnSync('sh', ['-c', `${env}\nprintf %s "$DPDK_URL"`], { encoding: 'utf8' });
    expect(r.stdout).toBe(hostile);
  });

  const sha = 'a'.repeat(64);
  const release = (build: string) =>
    labFrom(`dpdk: { source: release, version: "22.11.11", sha256: ${sha}${build} }\n${MINIMAL}`);

  it('gives meson only the drivers and apps the spec names, and no DPDK apps by default', () => {
    expect(mesonOptions(release('').dpdk.build)).toEqual(['-Ddisable_apps=*']);
    const lab = release(', build: { drivers: [net/virtio, bus/pci], apps: [test-pmd], meson_options: [max_lcores=8] }');
    expect(mesonOptions(lab.dpdk.build)).toEqual([
      '-Denable_drivers=net/virtio,bus/pci',
      '-Denable_apps=test-pmd',
      '-Dmax_lcores=8',
    ]);
  });

  it('is cached by tarball, options and image; the guest gets a cached build as a read-only disk', () => {
    const a = dpdkBuildPlan(release(''), 'image1', '/cache')!;
    expect(dpdkBuildPlan(release(''), 'image1', '/cache')).toEqual(a);
    expect(dpdkBuildPlan(release(''), 'image2', '/cache')!.key).not.toBe(a.key);
    expect(dpdkBuildPlan(release(', build: { drivers: [net/virtio] }'), 'image1', '/cache')!.key).not.toBe(a.key);
    expect(dpdkBuildPlan(labFrom(MINIMAL), 'image1', '/cache')).toBeUndefined();
    // Where the tarball came from and the script that built it are part of what a build is.
    const elsewhere = labFrom(
      `dpdk: { source: release, version: "22.11.11", sha256: ${sha}, url: "https://mirror.invalid/dpdk.tar.xz" }\n${MINIMAL}`,
    );
    expect(dpdkBuildPlan(elsewhere, 'image1', '/cache')!.key).not.toBe(a.key);
    expect(dpdkBuildPlan(release(''), 'image1', '/cache', '#!/bin/sh\n# another script\n')!.key).not.toBe(a.key);
    const lab = release('');
    const argv = qemuArgv(lab.nodes[0]!, { ...runtime, boot: { ...runtime.boot, dpdkBuild: a.file } }, profiles);
    expect(values(argv, '-drive')).toContain(`file=${a.file},if=none,id=labdpdk,format=raw,readonly=on`);
    expect(values(argv, '-device')).toContain('virtio-blk-pci,drive=labdpdk,id=labdpdk-dev,serial=lab-dpdk');
    expect(values(qemuArgv(lab.nodes[0]!, runtime, profiles), '-drive').some((d) => d.includes('labdpdk'))).toBe(false);
  });
});

describe('aarch64 guests', () => {
  const arm = readJsonAsset<Record<string, QemuProfiles>>('qemu', 'profiles.json').aarch64!;
  const spec = (driver: string) =>
    MINIMAL.replace('    cpus: 3\n', '    cpus: 3\n    arch: aarch64\n').replace(
      'queues: 2',
      `queues: 2\n        os_driver_for_dpdk: ${driver}`,
    );

  it('run qemu-system-aarch64 on the virt machine with a GICv3, an SMMUv3 for vfio-pci, and their console', () => {
    const node = labFrom(spec('vfio-pci')).nodes[0]!;
    expect(node.arch).toBe('aarch64');
    const a = qemuArgv(node, runtime, arm);
    expect(a[0]).toBe('qemu-system-aarch64');
    expect(values(a, '-machine')).toEqual(['virt,gic-version=3,iommu=smmuv3']);
    expect(values(a, '-cpu')).toEqual(['max,pauth-impdef=on']);
    expect(a.join(' ')).not.toContain('intel-iommu');
    const nic = values(a, '-device').find((d) => d.includes('netdev=dp0'))!;
    expect(nic.split(',')).toEqual(
      expect.arrayContaining(['virtio-net-pci', 'mq=on', 'vectors=6', 'iommu_platform=on']),
    );
    expect(values(a, '-append')[0]).toContain('console=ttyAMA0');
    expect(values(a, '-append')[0]).not.toContain('intel_iommu');
    const uio = qemuArgv(labFrom(spec('uio_pci_generic')).nodes[0]!, runtime, arm);
    expect(values(uio, '-machine')).toEqual(['virt,gic-version=3']);
    expect(uio.join(' ')).not.toContain('iommu_platform');
  });

  it("boot a downloaded image through UEFI's firmware, and lab's own image by its kernel", () => {
    const node = labFrom(spec('uio_pci_generic')).nodes[0]!;
    const own = qemuArgv(node, runtime, arm);
    expect(own).not.toContain('-bios');
    const { kernel: _k, initrd: _i, ...diskOnly } = runtime.boot;
    const disk = qemuArgv(node, { ...runtime, boot: diskOnly }, arm);
    expect(values(disk, '-bios')).toEqual(['/usr/share/qemu-efi-aarch64/QEMU_EFI.fd']);
    // x86-64's SeaBIOS is QEMU's default: no -bios there.
    expect(qemuArgv(labFrom(MINIMAL).nodes[0]!, { ...runtime, boot: diskOnly }, profiles)).not.toContain('-bios');
    expect(values(accelProbeArgv(arm, 'tcg', { kernel: '/c/vmlinuz' }), '-append')).toEqual([
      'console=ttyAMA0 panic=-1',
    ]);
    expect(values(accelProbeArgv(arm, 'tcg', { kernel: '/c/vmlinuz' }), '-machine')).toEqual(['virt,gic-version=3']);
  });

  it('have an image of their own: arm64 packages, a key and folder apart, and x86-64 keys as they were', () => {
    const lab = labFrom(MINIMAL);
    const x86 = imagePlan(lab, '/c', 'x86_64');
    const arm64 = imagePlan(lab, '/c', 'aarch64');
    expect(arm64.packages).toContain('linux-image-arm64');
    expect(arm64.packages).not.toContain('linux-image-amd64');
    expect(arm64.dir).toMatch(/^\/c\/debian-bookworm-arm64-[0-9a-f]{16}$/);
    expect(arm64.key).not.toBe(x86.key);
    // The x86-64 recipe hashes as it did before images had an architecture, so its cache stays valid.
    const { suite, mirror } = lab.image && 'debian' in lab.image ? lab.image.debian : { suite: '', mirror: '' };
    const before = createHash('sha256')
      .update(JSON.stringify({ BUILD_VERSION: 2, suite, mirror, packages: x86.packages }))
      .digest('hex');
    expect(x86.key).toBe(before);
    expect(x86.dir).toBe(`/c/debian-bookworm-${before.slice(0, 16)}`);
  });

  it.runIf(process.arch === 'x64')(
    'run under TCG on an x86-64 host whatever KVM does, and lab render says why; accel: kvm is refused',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lab-arm-'));
      try {
        const file = join(dir, 'lab.yaml');
        writeFileSync(file, spec('uio_pci_generic'));
        const r = await labRender(loadLab(file), join(dir, 'out'));
        expect(r.nodes[0]!.accel).toMatchObject({ accel: 'tcg', reason: 'aarch64 guest on an x86_64 host: TCG' });
        expect(r.nodes[0]!.argv[0]).toBe('qemu-system-aarch64');
        writeFileSync(file, spec('uio_pci_generic').replace('arch: aarch64', 'arch: aarch64\n    accel: kvm'));
        await expect(labRender(loadLab(file), join(dir, 'out'))).rejects.toThrow(/an aarch64 guest on an x86_64 host/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
