// A disk image that boots the way a downloaded cloud image does: its own boot loader on a FAT
// partition (x86-64: syslinux, GPT with the legacy-BIOS-bootable flag and syslinux's GPT MBR;
// aarch64: an EFI system partition with Debian's signed GRUB as EFI/BOOT/BOOTAA64.EFI, which UEFI
// finds by itself, as an Arm cloud image has it), a kernel and initrd, and an ext4 root with
// cloud-init and sshd. Made offline from the offline image's root file system and kernel, with no
// loop mount (mkfs.fat --offset, mtools, dd into the partition). It holds no lab file: lab sees it
// only as a URL and a sha256.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImagePlan } from '../../src/image/recipe.js';
import { labCacheRoot } from '../../src/layout.js';
import { withPrivateApt } from './private-apt.js';

const MiB = 1024 * 1024;
const BOOT_MIB = 128;
/** Bump when the way this image is made changes. */
const VERSION = 1;

/** Debian's signed monolithic GRUB for arm64, fetched once with a private apt configuration. */
function grubArm64(): string {
  const file = join(labCacheRoot(), 'test-images', 'grubaa64.efi');
  if (existsSync(file)) return file;
  withPrivateApt(
    'deb http://deb.debian.org/debian bookworm main\n',
    [['download', 'grub-efi-arm64-signed']],
    (apt, files) => {
      const deb = files.find((f) => f.startsWith('grub-efi-arm64-signed_') && f.endsWith('.deb'));
      if (!deb) throw new Error(`apt-get download grub-efi-arm64-signed gave ${files.join(', ')}`);
      sh(['dpkg-deb', '-x', join(apt, deb), join(apt, 'x')]);
      mkdirSync(join(file, '..'), { recursive: true });
      renameSync(join(apt, 'x/usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed'), `${file}.part`);
      renameSync(`${file}.part`, file);
    },
    'arm64',
  );
  return file;
}

function sh(argv: string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, timeout: 900_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

/**
 * Builds (or finds cached) the bootable qcow2 made from the offline image `base`, its disk, kernel
 * and initrd read from `files` where given (the same content, taken out of an exported
 * containerDisk); returns its path.
 */
export function bootableImage(
  base: ImagePlan,
  files: Required<Pick<ImagePlan, 'disk' | 'kernel' | 'initrd'>> = {
    disk: base.disk,
    kernel: base.kernel!,
    initrd: base.initrd!,
  },
): string {
  const manifest = readFileSync(join(base.dir, 'manifest.json'), 'utf8');
  const arm = base.arch === 'aarch64';
  const key = createHash('sha256').update(JSON.stringify({ VERSION, manifest })).digest('hex').slice(0, 16);
  const dir = join(labCacheRoot(), 'test-images');
  const out = join(dir, `bootable-${key}.qcow2`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `bootable-${key}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const root = join(tmp, 'root.raw');
    sh(['qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', files.disk, root]);
    const rootBytes = statSync(root).size;
    const disk = join(tmp, 'disk.raw');
    const bootStart = 1 * MiB;
    const rootStart = bootStart + BOOT_MIB * MiB;
    // Room after the root partition for GPT's backup header.
    sh(['truncate', '-s', String(rootStart + rootBytes + MiB), disk]);
    sh(
      ['sfdisk', '--quiet', disk],
      [
        'label: gpt',
        `start=${bootStart / 512}, size=${(BOOT_MIB * MiB) / 512}, type=uefi, name=boot, attrs="LegacyBIOSBootable"`,
        `start=${rootStart / 512}, size=${rootBytes / 512}, type=linux, name=root`,
        '',
      ].join('\n'),
    );
    // One sector per cluster: given a large image file, mkfs.fat picks clusters too big for a FAT32 this size.
    sh([
      'mkfs.fat',
      '-F',
      '32',
      '-s',
      '1',
      '-n',
      'BOOT',
      '--offset',
      String(bootStart / 512),
      '-h',
      String(bootStart / 512),
      disk,
      String((BOOT_MIB * MiB) / 1024),
    ]);
    const fat = `${disk}@@${bootStart}`;
    sh(['mcopy', '-i', fat, files.kernel, '::/vmlinuz']);
    sh(['mcopy', '-i', fat, files.initrd, '::/initrd.img']);
    const cfg = join(tmp, 'boot.cfg');
    if (arm) {
      // GRUB reads its configuration from EFI/debian on the partition it was loaded from.
      writeFileSync(
        cfg,
        [
          'set timeout=0',
          'linux /vmlinuz root=LABEL=root rw console=ttyAMA0 net.ifnames=1',
          'initrd /initrd.img',
          'boot',
          '',
        ].join('\n'),
      );
      sh(['mmd', '-i', fat, '::/EFI', '::/EFI/BOOT', '::/EFI/debian']);
      sh(['mcopy', '-i', fat, grubArm64(), '::/EFI/BOOT/BOOTAA64.EFI']);
      sh(['mcopy', '-i', fat, cfg, '::/EFI/debian/grub.cfg']);
    } else {
      writeFileSync(
        cfg,
        [
          'DEFAULT linux',
          'PROMPT 0',
          'TIMEOUT 0',
          'LABEL linux',
          '  LINUX /vmlinuz',
          '  INITRD /initrd.img',
          '  APPEND root=LABEL=root rw console=ttyS0 net.ifnames=1',
          '',
        ].join('\n'),
      );
      sh(['mcopy', '-i', fat, cfg, '::/syslinux.cfg']);
      sh(['syslinux', '--offset', String(bootStart), '--install', disk]);
      sh([
        'dd',
        'if=/usr/lib/syslinux/mbr/gptmbr.bin',
        `of=${disk}`,
        'bs=440',
        'count=1',
        'conv=notrunc',
        'status=none',
      ]);
    }
    sh(['dd', `if=${root}`, `of=${disk}`, 'bs=1M', `seek=${rootStart / MiB}`, 'conv=notrunc,sparse', 'status=none']);
    rmSync(root);
    sh(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', disk, join(tmp, 'disk.qcow2')]);
    renameSync(join(tmp, 'disk.qcow2'), out);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
