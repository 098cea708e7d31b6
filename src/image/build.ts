// Guest images: the offline Debian build and the checked download, both cached by content and
// made in a temporary folder renamed into place, so the cache never holds half an image.
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LabError } from '../errors.js';
import { run } from '../host/exec.js';
import { withHeldLock } from '../host/flock.js';
import type { ImagePlan } from './recipe.js';
import type { Lab } from '../config/lab.js';
import { debianArch, hostArch } from '../config/arch.js';
import type { Reporter } from '../progress.js';
import { download } from './download.js';
import { aptProgressTo } from '../host/apt-progress.js';
import { checkStandaloneQcow2 } from './qcow2.js';
import { checkSealed, seal, sealIndex, sha256File } from './seal.js';
import { makeDir } from '../host/files.js';

const MANIFEST = 'manifest.json';
/** Root filesystem size: room for the guest's DPDK build and app logs. */
const DISK_SIZE = '4G';

export function imageReady(plan: ImagePlan): boolean {
  return existsSync(join(plan.dir, MANIFEST));
}

/**
 * mmdebstrap's limit. Another architecture's maintainer scripts run under qemu-user-static, many
 * times slower: its image took 22 minutes on an idle 2-core host, and over 30 on a busy one.
 */
const MMDEBSTRAP_TIMEOUT_MS = { native: 1_800_000, emulated: 5_400_000 };

/** Longer than a build may take: mmdebstrap's own limit, the disk, a slow download. */
const BUILD_LOCK_TIMEOUT_MS = 7_200_000;

/**
 * The image the lab boots, built or downloaded once and then reused. Returns whether it was reused.
 * Two lab commands that need the same image (two labs, or a CI job's warm-up beside its first lab)
 * build it once: the second waits on the first's lock, then finds the image ready.
 */
export async function ensureImage(lab: Pick<Lab, 'image'>, plan: ImagePlan, reporter: Reporter): Promise<boolean> {
  const reused =
    imageReady(plan) ||
    (await withHeldLock(
      plan.lock,
      {
        waiting: (wait) =>
          reporter.step(`wait for another lab command, which is making this image (${plan.dir})`, wait),
        timeoutMs: BUILD_LOCK_TIMEOUT_MS,
      },
      async () => imageReady(plan) || makeImage(lab, plan, reporter),
    ));
  if (reused) await checkSealed(sealIndex(dirname(plan.dir)), imageFiles(plan), `the guest image ${plan.dir}`);
  return reused;
}

/** The files of an image QEMU opens: its disk, and the kernel and initrd it boots directly. */
function imageFiles(plan: ImagePlan): string[] {
  return [plan.disk, ...(plan.kernel ? [plan.kernel] : []), ...(plan.initrd ? [plan.initrd] : [])];
}

async function makeImage(lab: Pick<Lab, 'image'>, plan: ImagePlan, reporter: Reporter): Promise<false> {
  const tmp = `${plan.dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  makeDir(tmp);
  try {
    if (plan.kind === 'debian' && 'debian' in lab.image) await buildDebian(lab.image.debian, plan, tmp, reporter);
    else if ('url' in lab.image)
      await reporter.step(`download ${lab.image.url}`, () =>
        downloadImage(lab.image as { url: string; sha256: string }, plan, tmp, reporter),
      );
    writeFileSync(
      join(tmp, MANIFEST),
      `${JSON.stringify({ kind: plan.kind, key: plan.key, packages: plan.packages, builtAt: new Date().toISOString() }, null, 2)}\n`,
    );
    rmSync(plan.dir, { recursive: true, force: true });
    renameSync(tmp, plan.dir);
    await reporter.step('seal the image (sha256 of its files, checked at each use)', () =>
      seal(sealIndex(dirname(plan.dir)), imageFiles(plan)),
    );
    return false;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** An mmdebstrap hook that gives a unit of the guest a drop-in; `body` is printf text. */
function dropInHook(unit: string, body: string): string {
  const dir = `"$1/etc/systemd/system/${unit}.d"`;
  return `--customize-hook=mkdir -p ${dir} && printf '${body}' > ${dir}/lab.conf`;
}

/**
 * Hooks that share the downloaded packages between builds, in the folder $LAB_DEBS names (the
 * environment carries it, so no path is ever quoted into a shell command). In: every complete .deb
 * of the cache (apt re-downloads one whose hash its signed index does not confirm). Out: each new
 * one copied under a dot name, then renamed, so a build beside this one never reads half a file.
 * The image itself keeps none: mmdebstrap's cleanup empties its apt cache.
 */
export function debCacheHooks(): string[] {
  const archives = '"$1"/var/cache/apt/archives';
  const cache = '"$LAB_DEBS"';
  return [
    // Kept in the cache: without this, the essential step deletes what it downloaded.
    '--skip=essential/unlink',
    `--setup-hook=mkdir -p ${cache} ${archives} && find ${cache} -maxdepth 1 -name '*.deb' -exec cp -t ${archives} {} +`,
    `--customize-hook=for f in ${archives}/*.deb; do [ -e "$f" ] || continue; n=$(basename "$f"); [ -e ${cache}/"$n" ] || { cp "$f" ${cache}/."$n" && mv ${cache}/."$n" ${cache}/"$n"; }; done`,
  ];
}

/** mmdebstrap for a minbase root of `packages` from Debian's main, as root, with apt's and dpkg's own lines (which the progress counts). */
export function mmdebstrapArgv(
  packages: readonly string[],
  hooks: readonly string[],
  suite: string,
  target: string,
  mirror = '',
): string[] {
  return [
    'mmdebstrap',
    '--verbose',
    '--variant=minbase',
    '--mode=root',
    '--components=main',
    `--include=${packages.join(',')}`,
    ...hooks,
    '--',
    suite,
    target,
    ...(mirror ? [mirror] : []),
  ];
}

/**
 * An image of another architecture than this host's runs its packages' maintainer scripts through
 * qemu-user-static, which the kernel starts by binfmt_misc: said before mmdebstrap fails deep inside.
 */
function checkForeignArch(plan: ImagePlan): void {
  if (plan.arch === hostArch()) return;
  const entry = `/proc/sys/fs/binfmt_misc/qemu-${plan.arch}`;
  let enabled = false;
  try {
    enabled = readFileSync(entry, 'utf8').startsWith('enabled');
  } catch {
    // no entry, or binfmt_misc not mounted
  }
  if (!enabled)
    throw new LabError({
      code: 'ENV_TOOL',
      message: `building an ${debianArch(plan.arch)} guest image on this ${hostArch() ?? 'other'} host runs its programs through qemu-user-static, and binfmt_misc has no enabled ${entry}`,
      hint: `apt-get install qemu-user-static binfmt-support arch-test; mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc (where /proc/sys/fs/binfmt_misc/status is missing); update-binfmts --enable qemu-${plan.arch}`,
    });
}

async function buildDebian(
  recipe: { suite: string; mirror: string },
  plan: ImagePlan,
  tmp: string,
  reporter: Reporter,
): Promise<void> {
  const root = join(tmp, 'root');
  checkForeignArch(plan);
  await reporter.step(`mmdebstrap ${recipe.suite} with ${plan.packages.length} packages (first build only)`, () =>
    run(
      mmdebstrapArgv(
        plan.packages,
        [
          // Another architecture than this host's runs its maintainer scripts through qemu-user-static and binfmt.
          `--architectures=${debianArch(plan.arch)}`,
          ...(plan.debs ? debCacheHooks() : []),
          // cloud-init renders its network config for systemd-networkd, which minbase leaves disabled.
          '--customize-hook=chroot "$1" systemctl enable systemd-networkd',
          // No host key but the one lab pins: the image has none, and sshd waits for cloud-init to install it.
          '--customize-hook=rm -f "$1"/etc/ssh/ssh_host_*',
          dropInHook('ssh.service', '[Unit]\\nAfter=cloud-init.service\\n'),
          // Boot waits for the network to be online before cloud-init and sshd. A data-plane NIC with
          // only a static address sits in router discovery for ~12 s (nothing on its wire sends RAs),
          // and cloud-init 22.4 cannot render IPv6AcceptRA=no for it: online means the management link.
          dropInHook(
            'systemd-networkd-wait-online.service',
            '[Service]\\nExecStart=\\nExecStart=/lib/systemd/systemd-networkd-wait-online --any\\n',
          ),
        ],
        recipe.suite,
        root,
        recipe.mirror,
      ),
      {
        code: 'ENV_TOOL',
        what: 'building the guest root with mmdebstrap',
        timeoutMs: plan.arch === hostArch() ? MMDEBSTRAP_TIMEOUT_MS.native : MMDEBSTRAP_TIMEOUT_MS.emulated,
        env: { ...process.env, LAB_DEBS: plan.debs ?? '' },
        onLine: aptProgressTo(reporter),
      },
    ),
  );
  await reporter.step('copy out the kernel and initrd for direct boot', async () => {
    const boot = readdirSync(join(root, 'boot'));
    const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
    const initrd = boot.find((f) => f.startsWith('initrd.img-'));
    if (!kernel || !initrd)
      throw new LabError({
        code: 'ENV_TOOL',
        message: `the guest root has no kernel or initrd in /boot (found: ${boot.join(', ') || 'nothing'})`,
      });
    renameSync(join(root, 'boot', kernel), join(tmp, 'vmlinuz'));
    renameSync(join(root, 'boot', initrd), join(tmp, 'initrd.img'));
  });
  await reporter.step(
    `make the ${DISK_SIZE} root disk (mkfs.ext4 -d, no loop mount) and convert it to qcow2`,
    async () => {
      const raw = join(tmp, 'disk.raw');
      await run(['mkfs.ext4', '-q', '-F', '-d', root, '-L', 'root', raw, DISK_SIZE], {
        code: 'ENV_TOOL',
        what: 'mkfs.ext4',
        timeoutMs: 600_000,
      });
      rmSync(root, { recursive: true, force: true });
      await run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, join(tmp, 'disk.qcow2')], {
        code: 'ENV_TOOL',
        what: 'qemu-img convert',
        timeoutMs: 600_000,
      });
      rmSync(raw, { force: true });
    },
  );
}

/**
 * Downloads into <image>.download/, named by the image's content key like the image itself, so what
 * arrived survives a failure or Ctrl-C and the next lab up resumes it (the image's lock keeps one
 * writer); lab images prune removes it. Moved into the image once its SHA-256 matches.
 */
async function downloadImage(
  image: { url: string; sha256: string },
  plan: ImagePlan,
  tmp: string,
  reporter: Reporter,
): Promise<void> {
  const partial = `${plan.dir}.download`;
  const file = join(partial, 'disk.img');
  makeDir(partial);
  try {
    await download(image.url, file, reporter);
  } finally {
    if (!existsSync(file) || statSync(file).size === 0) rmSync(partial, { recursive: true, force: true });
  }
  try {
    const actual = await sha256File(file);
    if (actual !== image.sha256) {
      throw new LabError({
        code: 'ENV_HOST',
        message: `${image.url} has SHA-256 ${actual}, not ${image.sha256} as the spec says; nothing was cached`,
        hint: "Check image.sha256 against the publisher's SHA256SUMS.",
      });
    }
    await checkStandaloneQcow2(file, image.url);
    renameSync(file, join(tmp, 'disk.img'));
  } finally {
    // Whole and checked, or wrong: either way nothing to resume.
    rmSync(partial, { recursive: true, force: true });
  }
}
