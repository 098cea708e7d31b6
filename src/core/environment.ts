// What a report says ran where: this host, each VM's accelerator, the guest image, DPDK, lab.
import { availableParallelism, hostname, release } from 'node:os';
import { readJsonAsset } from '../assets.js';
import type { Lab } from '../config/lab.js';
import { runQuiet } from '../host/exec.js';
import type { ReportEnvironment } from '../verify/report.js';
import { labStatus } from './status.js';
import { bootsImage, openDrivers } from '../nodes/registry.js';
import { quiet } from '../progress.js';

async function hostDpdk(): Promise<string> {
  const r = await runQuiet(['pkg-config', '--modversion', 'libdpdk'], { timeoutMs: 10_000 });
  return r.exitCode === 0 ? r.stdout.trim() : 'unknown';
}

/** Read while the lab still runs: a VM's accelerator is known only then. */
export async function reportEnvironment(lab: Lab): Promise<ReportEnvironment> {
  const status = await labStatus(lab);
  const accel = Object.fromEntries(status.nodes.filter((v) => v.accel).map((v) => [v.node, v.accel!]));
  const image =
    'url' in lab.image
      ? `${lab.image.url} (sha256 ${lab.image.sha256.slice(0, 12)}…)`
      : `Debian ${lab.image.debian.suite}, built offline`;
  const qemu = bootsImage(openDrivers(lab, quiet), lab.nodes);
  const dpdk =
    lab.dpdk.source === 'release'
      ? `${lab.dpdk.version} from ${lab.dpdk.url}, built in the guest`
      : // The host's version is read; a guest's is its image's, which lab does not read back.
        `the distribution's packages (host: ${await hostDpdk()}${qemu ? "; guests: their image's packages" : ''})`;
  return {
    host: hostname(),
    kernel: release(),
    cpus: availableParallelism(),
    labVersion: readJsonAsset<{ version: string }>('package.json').version,
    image: qemu ? image : 'none (netns nodes only)',
    dpdk,
    accel,
    generatedAt: new Date().toISOString(),
  };
}
