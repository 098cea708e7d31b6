// lab images: what the guest image cache holds, and pruning what no spec or VM needs; with it, the
// spec's provisioned snapshots.
import { existsSync, rmSync } from 'node:fs';
import { LabError } from '../errors.js';
import { choosePrune, debCacheUsage, listCache, removeEntry, type CacheEntry } from '../image/cache.js';
import { dpdkBuildPlan, leftoverDpdkCopies, listDpdkBuilds, type DpdkBuildEntry } from '../image/dpdk-build.js';
import { ensureImage } from '../image/build.js';
import { imagePlan } from '../image/recipe.js';
import { debCacheRoot, dpdkBuildCacheRoot, imageCacheRoot } from '../layout.js';
import { loadLab } from '../core/load.js';
import { EXPORT_FORMATS, labExportImage } from '../core/export-image.js';
import { listSnapshots, pruneSnapshots, type SnapshotEntry } from '../core/snapshots.js';
import { exportTesterImage } from '../image/tester-image.js';
import { labVersion } from '../assets.js';
import { print, type OutputOptions } from './output.js';
import type { Lab } from '../config/lab.js';
import { defaultArch, type Arch } from '../config/arch.js';
import { Steps } from './steps.js';

interface ImagesOptions extends OutputOptions {
  file: string;
  all?: boolean;
  format?: string;
  out?: string;
}

export async function images(action: string | undefined, node: string | undefined, opts: ImagesOptions): Promise<void> {
  if (node !== undefined && action !== 'export')
    throw new LabError({ code: 'USAGE', message: `lab images ${action ?? 'list'} takes no node (only export does)` });
  if (action === 'tester' && opts.format !== undefined && opts.format !== 'containerdisk')
    throw new LabError({ code: 'USAGE', message: 'lab images tester writes an OCI archive: it takes no --format' });
  if (action === undefined || action === 'list') return list(opts);
  if (action === 'prune') return prune(opts);
  if (action === 'build') return build(opts);
  if (action === 'export') return exportImage(node, opts);
  if (action === 'tester') return exportTester(opts);
  throw new LabError({
    code: 'USAGE',
    message: `lab images: unknown action "${action}"`,
    hint: 'Use `lab images` (list), `lab images build`, `lab images prune`, `lab images export NODE` or `lab images tester`.',
  });
}

/** The tester pod's image (an OCI archive), for the Job `lab render --target kubevirt` writes. */
async function exportTester(opts: ImagesOptions): Promise<void> {
  const r = await exportTesterImage(opts.out ?? `lab-tester-${labVersion()}.tar`, new Steps());
  print(opts, r, () =>
    [
      `wrote ${r.file}: ${mib(r.bytes)}, Debian ${r.suite} with lab ${r.tag}, Node.js, l2probe, ping, tcpdump and kubectl`,
      `lab render --target kubevirt names it ${r.reference}: load it into the cluster's nodes under that name, or push it (skopeo copy oci-archive:${r.file}:${r.tag} docker://REGISTRY/lab-tester:${r.tag}) and set cluster.tester_image to REGISTRY/lab-tester:${r.tag}`,
    ].join('\n'),
  );
}

/** A node's guest image as a KubeVirt containerDisk (an OCI archive), for `lab render --target kubevirt`. */
async function exportImage(node: string | undefined, opts: ImagesOptions): Promise<void> {
  if (node === undefined)
    throw new LabError({ code: 'USAGE', message: 'lab images export needs a node: lab images export NODE' });
  const format = opts.format ?? 'containerdisk';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new LabError({
      code: 'USAGE',
      message: `lab images export: unknown format "${format}"`,
      hint: `Formats: ${EXPORT_FORMATS.join(', ')}.`,
    });
  const lab = loadLab(opts.file, { force: true });
  const r = await labExportImage(lab, node, opts.out ?? `${lab.name}-${node}.containerdisk.tar`, new Steps());
  print(opts, r, () =>
    [
      `wrote ${r.file}: ${mib(r.bytes)}, the disk ${mib(r.diskBytes)} (zstd-compressed qcow2)${r.kernelBoot ? ', with its kernel and initrd' : ''}`,
      `lab render --target kubevirt names it ${r.reference}: load it into the cluster's nodes under that name, or push it (skopeo copy oci-archive:${r.file}:${r.tag} docker://REGISTRY/lab-guest:${r.tag}) and set cluster.guest_image to REGISTRY/lab-guest:${r.tag}`,
    ].join('\n'),
  );
}

/** The architectures of the spec's VMs, each with its own image (a lab of netns nodes alone: this host's). */
function archesOf(lab: Lab): Arch[] {
  const vms = lab.nodes.filter((n) => n.kind === 'qemu');
  return vms.length ? [...new Set(vms.map((n) => n.arch))] : [defaultArch()];
}

/** Makes the spec's guest images ahead of time (a CI job's warm-up, say), as `lab up` would: one per architecture. */
async function build(opts: ImagesOptions): Promise<void> {
  const lab = loadLab(opts.file, { force: true });
  const made: Array<{ arch: Arch; dir: string; reused: boolean }> = [];
  for (const arch of archesOf(lab)) {
    const plan = imagePlan(lab, imageCacheRoot(), arch);
    made.push({ arch, dir: plan.dir, reused: await ensureImage(lab, plan, new Steps()) });
  }
  print(opts, made.length === 1 ? made[0] : { images: made }, () =>
    made.map((m) => `${m.reused ? 'already in the cache' : 'made'} (${m.arch}): ${m.dir}`).join('\n'),
  );
}

/** The image dirs the spec boots from, none when there is no spec to ask. */
function wantedDirs(opts: ImagesOptions, root: string): string[] {
  if (!existsSync(opts.file)) return [];
  const lab = loadLab(opts.file, { force: true });
  return archesOf(lab).map((arch) => imagePlan(lab, root, arch).dir);
}

/** The DPDK builds the spec installs, none when there is no spec or it builds none. */
function wantedBuilds(opts: ImagesOptions, root: string): string[] {
  if (!existsSync(opts.file)) return [];
  const lab = loadLab(opts.file, { force: true });
  return archesOf(lab).flatMap((arch) => {
    const file = dpdkBuildPlan(lab, imagePlan(lab, root, arch).key, dpdkBuildCacheRoot())?.file;
    return file ? [file] : [];
  });
}

function buildRow(b: DpdkBuildEntry, wanted: readonly string[]): string {
  return `${b.file}  ${mib(b.bytes)}  built ${b.builtAt}${wanted.includes(b.file) ? '  (the spec installs it)' : ''}`;
}

/** The spec's provisioned snapshots, or none when there is no spec to ask. */
function snapshotsOf(opts: ImagesOptions): SnapshotEntry[] {
  return existsSync(opts.file) ? listSnapshots(loadLab(opts.file, { force: true })) : [];
}

function list(opts: ImagesOptions): void {
  const root = imageCacheRoot();
  const wanted = wantedDirs(opts, root);
  const entries = listCache(root);
  const snapshots = snapshotsOf(opts);
  const builds = listDpdkBuilds(dpdkBuildCacheRoot());
  const build = wantedBuilds(opts, root);
  const packages = { dir: debCacheRoot(root), ...debCacheUsage(debCacheRoot(root)) };
  print(opts, { root, wanted, images: entries, snapshots, dpdkBuilds: builds, packages }, () =>
    [
      entries.length
        ? [
            `${root}:`,
            ...entries.map((e) => `  ${row(e)}${wanted.includes(e.dir) ? `  (${opts.file} uses it)` : ''}`),
          ].join('\n')
        : `${root}: no images`,
      ...(snapshots.length
        ? [`provisioned snapshots of ${opts.file}:`, ...snapshots.map((s) => `  ${snapshotRow(s)}`)]
        : []),
      ...(builds.length ? ['DPDK release builds:', ...builds.map((b) => `  ${buildRow(b, build)}`)] : []),
      ...(packages.debs
        ? [
            `downloaded packages, for the next image build: ${packages.dir}  ${packages.debs} .deb files  ${mib(packages.bytes)}`,
          ]
        : []),
    ].join('\n'),
  );
}

function snapshotRow(s: SnapshotEntry): string {
  return `${s.node}  ${mib(s.bytes)}  saved ${s.savedAt}  ${s.overlay}${s.runningPid ? `  open by QEMU pid ${s.runningPid}` : ''}`;
}

function prune(opts: ImagesOptions): void {
  const root = imageCacheRoot();
  const wanted = wantedDirs(opts, root);
  if (!wanted.length && !opts.all) {
    throw new LabError({
      code: 'USAGE',
      message: `lab images prune keeps the image ${opts.file} boots from, and there is no ${opts.file}`,
      hint: 'Name the spec with -f, or pass --all to remove every image no VM is using.',
    });
  }
  const choice = choosePrune(listCache(root), wanted, Boolean(opts.all));
  for (const entry of choice.remove) removeEntry(entry);
  // --all also takes the spec's snapshots, but never one whose overlay a running QEMU has open.
  const snapshots =
    opts.all && existsSync(opts.file)
      ? pruneSnapshots(loadLab(opts.file, { force: true }))
      : { removed: [], kept: snapshotsOf(opts) };
  // DPDK builds: the one the spec installs stays, unless --all.
  const build = wantedBuilds(opts, root);
  const builds = [
    ...listDpdkBuilds(dpdkBuildCacheRoot()).filter((b) => opts.all || !build.includes(b.file)),
    ...leftoverDpdkCopies(dpdkBuildCacheRoot(), (pid) => existsSync(`/proc/${pid}`)),
  ];
  for (const b of builds) rmSync(b.file, { force: true });
  // The packages only speed up the next image build: --all takes them too.
  const packages = opts.all
    ? { dir: debCacheRoot(root), ...debCacheUsage(debCacheRoot(root)) }
    : { dir: debCacheRoot(root), debs: 0, bytes: 0 };
  if (opts.all) rmSync(packages.dir, { recursive: true, force: true });
  const freed = [...choice.remove, ...snapshots.removed, ...builds, packages].reduce((sum, e) => sum + e.bytes, 0);
  print(
    opts,
    {
      root,
      removed: choice.remove,
      kept: choice.keep.map((k) => ({ ...k.entry, why: k.why })),
      snapshots,
      dpdkBuildsRemoved: builds,
      packagesRemoved: packages.debs,
      freedBytes: freed,
    },
    () =>
      [
        ...choice.remove.map((e) => `removed ${row(e)}`),
        ...choice.keep.map((k) => `kept    ${row(k.entry)}  (${k.why})`),
        ...snapshots.removed.map((s) => `removed snapshot ${snapshotRow(s)}`),
        ...snapshots.kept.map(
          (s) => `kept    snapshot ${snapshotRow(s)}${s.runningPid ? '' : '  (prune --all removes it)'}`,
        ),
        ...builds.map((b) => `removed DPDK build ${buildRow(b, build)}`),
        ...(packages.debs ? [`removed ${packages.debs} downloaded packages (${packages.dir})`] : []),
        `freed ${mib(freed)}`,
      ].join('\n'),
  );
}

function row(e: CacheEntry): string {
  return `${e.name}  ${e.state}${e.kind ? ` ${e.kind}` : ''}  ${mib(e.bytes)}${e.builtAt ? `  built ${e.builtAt}` : ''}${e.openBy.length ? `  open by pid ${e.openBy.join(', ')}` : ''}`;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
