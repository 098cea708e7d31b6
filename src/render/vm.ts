// Everything rendered for one VM: its QEMU command, a script that runs it by hand, its cloud-init seed.
import type { Lab, Nic, Node } from '../config/lab.js';
import type { NodePaths } from '../layout.js';
import { renderSeed, type GuestAssets, type SeedDocuments } from './cloud-init.js';
import { namespaceCommands, tapCommands, type Argv } from './hostnet.js';
import { qemuArgv, type Accel, type QemuProfiles } from './qemu.js';
import { shellCommand, shellQuote } from './shell.js';

export interface RenderedVm {
  node: string;
  argv: string[];
  script: string;
  seed: SeedDocuments;
}

/** The base image a VM's overlay points at, and the kernel it boots directly when the image has one. */
export interface BaseImage {
  disk: string;
  format: 'qcow2' | 'raw';
  kernel?: string;
  initrd?: string;
}

/** What the VM's wires make in the lab namespace, from its wire kinds (src/wires/). */
export interface VmWiring {
  /** What its NICs' far ends join, made first if missing: a bridge, by name. */
  shared: Array<{ name: string; commands: Argv[] }>;
  /** What puts a NIC's far end (its tap) on its wire. */
  farEnd(nic: Nic): Argv[];
}

export interface VmRenderContext {
  netns: string;
  wiring: VmWiring;
  accel: Accel;
  sshPort: number;
  image: BaseImage;
  paths: NodePaths;
  /** The host's cached DPDK build, when it has the one this lab needs. */
  dpdkBuild?: string;
  /** The user QEMU runs as and its taps belong to (-runas); absent when lab is not root. */
  runAs?: string;
}

export function renderVm(
  lab: Lab,
  node: Node,
  ctx: VmRenderContext,
  profiles: QemuProfiles,
  assets: GuestAssets,
): RenderedVm {
  const argv = qemuArgv(
    node,
    {
      lab: lab.name,
      accel: ctx.accel,
      sshPort: ctx.sshPort,
      boot: {
        disk: ctx.paths.disk,
        seed: ctx.paths.seed,
        kernel: ctx.image.kernel,
        initrd: ctx.image.initrd,
        dpdkBuild: ctx.dpdkBuild,
      },
      qmp: ctx.paths.qmp,
      serial: ctx.paths.serial,
      pidfile: ctx.paths.pid,
      daemonize: true,
      ...(ctx.runAs ? { runAs: ctx.runAs } : {}),
    },
    profiles,
  );
  return { node: node.name, argv, script: launchScript(lab, node, ctx, argv), seed: renderSeed(lab, node, assets) };
}

/** The same steps `lab up` takes, for a person to read or run by hand (as root). */
function launchScript(lab: Lab, node: Node, ctx: VmRenderContext, argv: string[]): string {
  const q = shellQuote;
  const { paths, netns, image } = ctx;
  const run = (cmds: string[][]) => cmds.map((c) => `  ${c.map(q).join(' ')}`).join('\n');
  return `#!/bin/sh
# VM ${node.name} of lab ${lab.name}, rendered by \`lab render\` from ${lab.file}.
# \`lab up\` takes these same steps (and waits for SSH and cloud-init); run by hand as root.
set -eu
cd ${q(paths.dir)}

if [ ! -e ${q(image.disk)} ]; then
  echo "the base image ${image.disk} is not built yet: run lab up once" >&2
  exit 1
fi
[ -e ${q(paths.disk)} ] || qemu-img create -q -f qcow2 -F ${image.format} -b ${q(image.disk)} ${q(paths.disk)}
[ -e ${q(paths.seed)} ] || cloud-localds --network-config=${q(paths.networkConfig)} ${q(paths.seed)} ${q(paths.userData)} ${q(paths.metaData)}

if [ ! -e /run/netns/${netns} ]; then
${run(namespaceCommands(netns))}
fi
${ctx.wiring.shared
  .map((w) => `if ! ip -n ${q(netns)} link show ${q(w.name)} >/dev/null 2>&1; then\n${run(w.commands)}\nfi\n`)
  .join(
    '',
  )}${node.nics.map((nic) => `if ! ip -n ${q(netns)} link show ${q(nic.labnsIf)} >/dev/null 2>&1; then\n${run([...tapCommands(netns, nic, ctx.runAs), ...ctx.wiring.farEnd(nic)])}\nfi`).join('\n')}

exec ip netns exec ${q(netns)} ${shellCommand(argv)}
`;
}
