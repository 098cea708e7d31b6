// lab render: every generated file for the lab's VMs, written to a folder, nothing started.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { readAssetTree, readJsonAsset, readTextAsset } from '../assets.js';
import { chooseAccel, type AccelChoice } from '../host/accel.js';
import { writeAtomic } from '../host/files.js';
import { ensureKeyPair } from '../host/keys.js';
import { freeLocalPort } from '../host/ports.js';
import { accelCacheFile, imageCacheRoot, imagePlan } from '../image/recipe.js';
import { labPaths, vmPaths } from '../layout.js';
import type { GuestAssets } from '../render/cloud-init.js';
import type { QemuProfiles } from '../render/qemu.js';
import { renderVm, type RenderedVm } from '../render/vm.js';
import type { Lab, Vm } from '../config/lab.js';
import { loadLab } from '../config/load.js';
import { print, type OutputOptions } from './output.js';

export interface RenderOptions extends OutputOptions {
  file: string;
  out?: string;
  force?: boolean;
}

export interface RenderedLabVm extends RenderedVm {
  accel: AccelChoice;
  sshPort: number;
  files: Record<string, string>;
}

export interface RenderInputs {
  root: string;
  /** SSH ports already given to VMs (by lab up's state); the others get a free one. */
  sshPorts?: Record<string, number>;
}

/** Renders and writes every QEMU VM's files under `root`; lab up calls this too. */
export async function renderLabFiles(lab: Lab, inputs: RenderInputs): Promise<RenderedLabVm[]> {
  const profiles = readJsonAsset<QemuProfiles>('qemu', 'profiles.json');
  const labKey = await ensureKeyPair(resolve(inputs.root, 'id_ed25519'), `lab-${lab.name}`);
  const image = imagePlan(lab, imageCacheRoot());
  const shared = {
    base: parse(readTextAsset('cloud-init', 'user-data.base.yaml')) as Record<string, unknown>,
    authorizedKey: labKey.public,
    scripts: readAssetTree('cloud-init/scripts'),
    native: readAssetTree('native', (p) => !p.startsWith('build/')),
  };
  // The probe boots the guest's own kernel once the image has one; before that, only the firmware.
  const probe = { binary: profiles.binary, cpu: profiles.accel.kvm.cpu, ...(image.kernel && existsSync(image.kernel) ? { kernel: image.kernel } : {}) };
  const choices = new Map<Vm['accel'], AccelChoice>();
  const out: RenderedLabVm[] = [];
  for (const vm of lab.vms.filter((v) => v.driver === 'qemu')) {
    const accel = choices.get(vm.accel) ?? (await chooseAccel(vm.accel, probe, accelCacheFile()));
    choices.set(vm.accel, accel);
    const paths = vmPaths(inputs.root, vm);
    const hostKey = await ensureKeyPair(paths.hostKey, `${vm.name}.${lab.name}`);
    const assets: GuestAssets = { ...shared, hostKey };
    const sshPort = inputs.sshPorts?.[vm.name] ?? (await freeLocalPort());
    const rendered = renderVm(lab, vm, { netns: labPaths(lab).netns, accel: accel.accel, sshPort, image, paths }, profiles, assets);
    writeAtomic(paths.script, rendered.script, 0o755);
    // user-data carries the guest's private host key.
    writeAtomic(paths.userData, rendered.seed.userData, 0o600);
    writeAtomic(paths.metaData, rendered.seed.metaData);
    writeAtomic(paths.networkConfig, rendered.seed.networkConfig);
    out.push({ ...rendered, accel, sshPort, files: { script: paths.script, userData: paths.userData, metaData: paths.metaData, networkConfig: paths.networkConfig } });
  }
  return out;
}

export async function render(opts: RenderOptions): Promise<void> {
  const lab = loadLab(opts.file, { force: opts.force });
  const root = resolve(opts.out ?? labPaths(lab).root);
  const vms = await renderLabFiles(lab, { root });
  print(opts, { lab: lab.name, out: root, vms: vms.map(({ vm, accel, sshPort, files, argv }) => ({ vm, accel, sshPort, files, argv })) }, () =>
    vms
      .map((v) => [`${v.vm}: ${v.accel.accel} (${v.accel.reason}), ssh on 127.0.0.1:${v.sshPort}`, ...Object.values(v.files).map((f) => `  wrote ${f}`)].join('\n'))
      .join('\n') || `lab ${lab.name} has no QEMU VMs: nothing to render`,
  );
}
