// What a QEMU node renders: its qemu.sh, its cloud-init seed documents and the argv lab up runs.
// The side effects around the pure renderers live here: keys made once, the accelerator chosen
// by a probe boot, the SSH port kept from the node's record.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readAssetTree, readJsonAsset, readTextAsset } from '../../assets.js';
import type { Node } from '../../config/lab.js';
import { writeAtomic } from '../../host/files.js';
import { ensureKeyPair } from '../../host/keys.js';
import { qemuRunAs } from '../../host/qemu-user.js';
import { dpdkBuildPlan, type DpdkBuildPlan } from '../../image/dpdk-build.js';
import { firstBootPackages } from '../../image/packages.js';
import { accelCacheFile, dpdkBuildCacheRoot, nodePaths } from '../../layout.js';
import type { GuestAssets } from '../../render/cloud-init.js';
import type { QemuProfiles } from '../../render/qemu.js';
import { renderVm, type RenderedVm } from '../../render/vm.js';
import type { LabSession } from '../node.js';
import { chooseAccel, type AccelChoice } from './accel.js';
import { checkSealed, sealIndex } from '../../image/seal.js';

export interface VmFiles extends RenderedVm {
  accel: AccelChoice;
  sshPort: number;
  files: { script: string; userData: string; metaData: string; networkConfig: string };
}

export function qemuProfiles(): QemuProfiles {
  return readJsonAsset<QemuProfiles>('qemu', 'profiles.json');
}

/** Renders one node's files under `root` for a given port; the accelerator is chosen once per setting. */
export class VmFileWriter {
  private readonly profiles = qemuProfiles();
  private readonly accels = new Map<Node['accel'], Promise<AccelChoice>>();
  private shared?: Omit<GuestAssets, 'hostKey' | 'authorizedKey'>;

  /** The DPDK release build this lab's guests install, when it builds one. */
  readonly dpdkBuild: DpdkBuildPlan | undefined;

  constructor(private readonly session: LabSession) {
    this.dpdkBuild = dpdkBuildPlan(session.lab, session.image.key, dpdkBuildCacheRoot());
  }

  accel(wanted: Node['accel']): Promise<AccelChoice> {
    const { image } = this.session;
    // The probe boots the guest's own kernel once the image has one, a downloaded image from its own
    // disk; before the image is there, only the firmware.
    const boot =
      image.kernel && existsSync(image.kernel)
        ? { kernel: image.kernel }
        : image.kind === 'download' && existsSync(image.disk)
          ? { disk: image.disk }
          : {};
    let choice = this.accels.get(wanted);
    if (!choice) this.accels.set(wanted, (choice = chooseAccel(wanted, this.profiles, boot, accelCacheFile())));
    return choice;
  }

  async write(node: Node, root: string, sshPort: number): Promise<VmFiles> {
    const { lab, image } = this.session;
    const accel = await this.accel(node.accel);
    const paths = nodePaths(root, node.name);
    const labKey = await ensureKeyPair(join(root, 'id_ed25519'), `lab-${lab.name}`);
    const hostKey = await ensureKeyPair(paths.hostKey, `${node.name}.${lab.name}`);
    this.shared ??= {
      base: parse(readTextAsset('cloud-init', 'user-data.base.yaml')) as Record<string, unknown>,
      scripts: readAssetTree('cloud-init/scripts'),
      // The sources only: every build of them (build/, build-san/) lives in a folder below.
      native: readAssetTree('native', (p) => !p.includes('/')),
      packages: firstBootPackages(lab),
    };
    const assets: GuestAssets = { ...this.shared, authorizedKey: labKey.public, hostKey };
    // A build the host already has is handed to the guest, which then installs it instead of building.
    const dpdkBuild = this.dpdkBuild && existsSync(this.dpdkBuild.file) ? this.dpdkBuild.file : undefined;
    if (dpdkBuild) await checkSealed(sealIndex(dpdkBuildCacheRoot()), [dpdkBuild], 'a cached DPDK build');
    const runAs = qemuRunAs();
    const rendered = renderVm(
      lab,
      node,
      {
        netns: this.session.paths.netns,
        accel: accel.accel,
        sshPort,
        image,
        paths,
        dpdkBuild,
        ...(runAs ? { runAs } : {}),
      },
      this.profiles,
      assets,
    );
    writeAtomic(paths.script, rendered.script, 0o755);
    // user-data carries the guest's private host key.
    writeAtomic(paths.userData, rendered.seed.userData, 0o600);
    writeAtomic(paths.metaData, rendered.seed.metaData);
    writeAtomic(paths.networkConfig, rendered.seed.networkConfig);
    return {
      ...rendered,
      accel,
      sshPort,
      files: {
        script: paths.script,
        userData: paths.userData,
        metaData: paths.metaData,
        networkConfig: paths.networkConfig,
      },
    };
  }
}
