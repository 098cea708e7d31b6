// What a QEMU node renders: its qemu.sh, its cloud-init seed documents and the argv lab up runs.
// The side effects around the pure renderers live here: keys made once, the accelerator chosen
// by a probe boot, the SSH port kept from the node's record. lab render is a dry run of the same:
// it makes no key and boots nothing, and says in the files what only lab up can know.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readAssetTree, readJsonAsset, readTextAsset } from '../../assets.js';
import type { Node } from '../../config/lab.js';
import { hostArch, type Arch } from '../../config/arch.js';
import { LabError } from '../../errors.js';
import { writeAtomic } from '../../host/files.js';
import { ensureKeyPair, readKeyPair, type KeyPair } from '../../host/keys.js';
import { qemuRunAs } from '../../host/qemu-user.js';
import { dpdkBuildPlan, type DpdkBuildPlan } from '../../image/dpdk-build.js';
import { firstBootPackages } from '../../image/packages.js';
import { accelCacheFile, dpdkBuildCacheRoot, nodePaths } from '../../layout.js';
import { renderSeed, type GuestAssets } from '../../render/cloud-init.js';
import type { ClusterGuest } from '../../render/kubevirt.js';
import { guestKernelArgs, type QemuProfiles } from '../../render/qemu.js';
import { renderVm, type RenderedVm } from '../../render/vm.js';
import type { LabSession } from '../node.js';
import { chooseAccel, knownAccel, type AccelChoice } from './accel.js';
import { bridgeCommands, bridgesOf, farEndCommands } from '../../wires/registry.js';
import type { VmWiring } from '../../render/vm.js';
import { checkSealed, sealIndex } from '../../image/seal.js';

export interface VmFiles extends RenderedVm {
  accel: AccelChoice;
  sshPort: number;
  files: { script: string; userData: string; metaData: string; networkConfig: string };
}

/** The QEMU profile of a guest architecture (qemu/profiles.json). */
export function qemuProfiles(arch: Arch): QemuProfiles {
  return readJsonAsset<Record<Arch, QemuProfiles>>('qemu', 'profiles.json')[arch];
}

/** Renders one node's files under `root` for a given port; the accelerator is chosen once per setting. */
export class VmFileWriter {
  private readonly accels = new Map<string, Promise<AccelChoice>>();
  private shared?: Omit<GuestAssets, 'hostKey' | 'authorizedKey'>;

  constructor(private readonly session: LabSession) {}

  /** The DPDK release build this lab's guests of an architecture install, when it builds one (keyed by their image). */
  dpdkBuild(arch: Arch): DpdkBuildPlan | undefined {
    return dpdkBuildPlan(this.session.lab, this.session.image(arch).key, dpdkBuildCacheRoot());
  }

  /** What the accelerator probe boots: the guest's own kernel once the image has one, a downloaded image's own disk; else only the firmware. */
  private probeBoot(arch: Arch): { kernel: string } | { disk: string } | Record<string, never> {
    const image = this.session.image(arch);
    if (image.kernel && existsSync(image.kernel)) return { kernel: image.kernel };
    return image.kind === 'download' && existsSync(image.disk) ? { disk: image.disk } : {};
  }

  /** Chosen once per architecture and setting: KVM only for a guest of this host's own architecture. */
  accel(node: Pick<Node, 'accel' | 'arch'>): Promise<AccelChoice> {
    const key = `${node.arch}/${node.accel}`;
    let choice = this.accels.get(key);
    if (!choice)
      this.accels.set(
        key,
        (choice =
          foreignArch(node) ??
          chooseAccel(node.accel, qemuProfiles(node.arch), this.probeBoot(node.arch), accelCacheFile())),
      );
    return choice;
  }

  private sharedAssets(): Omit<GuestAssets, 'hostKey' | 'authorizedKey'> {
    return (this.shared ??= {
      base: parse(readTextAsset('cloud-init', 'user-data.base.yaml')) as Record<string, unknown>,
      scripts: readAssetTree('cloud-init/scripts'),
      // The sources only: every build of them (build/, build-san/) lives in a folder below.
      native: readAssetTree('native', (p) => !p.includes('/')),
      packages: firstBootPackages(this.session.lab),
    });
  }

  /**
   * The node's guest on a KubeVirt cluster: no virtual IOMMU there, and lab's own image boots its
   * kernel as here. Its keys are made once in `root`, the manifests' folder, beside them: the
   * cluster's guests are not this host's, and lab up's keys stay its own.
   */
  async clusterGuest(node: Node, root: string): Promise<ClusterGuest> {
    const { lab } = this.session;
    const image = this.session.image(node.arch);
    const labKey = await ensureKeyPair(join(root, 'id_ed25519'), `lab-${lab.name}`);
    const hostKey = await ensureKeyPair(nodePaths(root, node.name).hostKey, `${node.name}.${lab.name}`);
    const assets: GuestAssets = { ...this.sharedAssets(), authorizedKey: labKey.public, hostKey };
    return {
      seed: renderSeed(lab, node, assets, 'kubevirt'),
      hostPub: hostKey.public,
      ...(image.kind === 'debian'
        ? { kernelArgs: guestKernelArgs(qemuProfiles(node.arch), { iommu: false }).join(' ') }
        : {}),
    };
  }

  /**
   * Writes the node's files. A dry run (lab render) boots no probe and makes no key: it uses the
   * keys already made, or placeholders, and says so at the top of qemu.sh and user-data.
   */
  async write(node: Node, root: string, sshPort: number, o: { dryRun?: boolean } = {}): Promise<VmFiles> {
    const { lab } = this.session;
    const image = this.session.image(node.arch);
    const paths = nodePaths(root, node.name);
    const profiles = qemuProfiles(node.arch);
    const foreign = foreignArch(node);
    const dry = o.dryRun
      ? foreign
        ? { ...(await foreign), known: true }
        : knownAccel(node.accel, profiles, this.probeBoot(node.arch), accelCacheFile())
      : undefined;
    const accel = dry ?? (await this.accel(node));
    const key = (path: string, comment: string): Promise<KeyPair> | KeyPair =>
      o.dryRun
        ? (readKeyPair(path) ?? { private: PLACEHOLDER_KEY, public: `ssh-ed25519 ${PLACEHOLDER_KEY} ${comment}` })
        : ensureKeyPair(path, comment);
    const labKey = await key(join(root, 'id_ed25519'), `lab-${lab.name}`);
    const hostKey = await key(paths.hostKey, `${node.name}.${lab.name}`);
    const assets: GuestAssets = { ...this.sharedAssets(), authorizedKey: labKey.public, hostKey };
    // A build the host already has is handed to the guest, which then installs it instead of building.
    const plan = this.dpdkBuild(node.arch);
    const dpdkBuild = plan && existsSync(plan.file) ? plan.file : undefined;
    if (dpdkBuild) await checkSealed(sealIndex(dpdkBuildCacheRoot()), [dpdkBuild], 'a cached DPDK build');
    const runAs = qemuRunAs();
    const rendered = renderVm(
      lab,
      node,
      {
        netns: this.session.paths.netns,
        wiring: vmWiring(this.session.paths.netns, node),
        accel: accel.accel,
        sshPort,
        image,
        paths,
        dpdkBuild,
        ...(runAs ? { runAs } : {}),
      },
      profiles,
      assets,
    );
    const said = o.dryRun ? dryRunNotes(sshPort, dry!, labKey.private === PLACEHOLDER_KEY) : [];
    writeAtomic(paths.script, withComments(rendered.script, said), 0o755);
    // user-data carries the guest's private host key.
    writeAtomic(paths.userData, withComments(rendered.seed.userData, said), 0o600);
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

/**
 * A guest of another architecture than this host's runs under TCG whatever KVM can do here, and
 * lab says so; accel: kvm is an error then. Undefined for a guest of this host's own architecture.
 */
function foreignArch(node: Pick<Node, 'accel' | 'arch'>): Promise<AccelChoice> | undefined {
  const host = hostArch() ?? 'an unknown';
  if (node.arch === host) return undefined;
  if (node.accel === 'kvm')
    return Promise.reject(
      new LabError({
        code: 'ENV_ACCEL',
        message: `accel: kvm, but this is an ${node.arch} guest on an ${host} host: KVM runs a guest of the host's own architecture only`,
        hint: 'Use accel: auto or tcg here (emulation), or run the lab on an Arm host for KVM.',
      }),
    );
  return Promise.resolve({ accel: 'tcg', reason: `${node.arch} guest on an ${host} host: TCG` });
}

/** Stands where lab render has no key yet: lab up makes the real ones. */
const PLACEHOLDER_KEY = 'KEY-MADE-BY-LAB-UP';

function dryRunNotes(sshPort: number, accel: AccelChoice & { known: boolean }, placeholderKeys: boolean): string[] {
  return [
    'Written by lab render, a dry run: nothing was started, probed or generated.',
    `Accelerator: ${accel.accel} (${accel.reason}).`,
    `SSH port: 127.0.0.1:${sshPort}, as lab up would give it from this lab's state.`,
    ...(placeholderKeys ? [`SSH keys: ${PLACEHOLDER_KEY} stands for the keys lab up makes.`] : []),
  ];
}

/** The notes as comments after the document's first line (#!/bin/sh, #cloud-config), which must stay first. */
function withComments(text: string, notes: string[]): string {
  if (!notes.length) return text;
  const nl = text.indexOf('\n');
  return `${text.slice(0, nl + 1)}${notes.map((n) => `# ${n}\n`).join('')}${text.slice(nl + 1)}`;
}

/** What the VM's wires need in the lab namespace, for qemu.sh to make by hand. */
function vmWiring(labNetns: string, node: Node): VmWiring {
  return {
    shared: bridgesOf(node.nics).map((name) => ({ name, commands: bridgeCommands(labNetns, name) })),
    farEnd: (nic) => farEndCommands(labNetns, nic),
  };
}
