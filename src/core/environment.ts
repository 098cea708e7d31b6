// What a report says ran where: this host, each VM's accelerator, the guest image, DPDK, lab.
import { availableParallelism, hostname, release } from 'node:os';
import { labVersion } from '../assets.js';
import type { Lab } from '../config/lab.js';
import { runQuiet } from '../host/exec.js';
import type { ReportEnvironment } from '../verify/report.js';
import { bootsImage, contextOf, type LabContext } from '../nodes/registry.js';

async function hostDpdk(): Promise<string> {
  const r = await runQuiet(['pkg-config', '--modversion', 'libdpdk'], { timeoutMs: 10_000 });
  return r.exitCode === 0 ? r.stdout.trim() : 'unknown';
}

/** Each node's accelerator as its record has it: no node is asked (no SSH, no process looked at). */
function accelerators(ctx: LabContext): Record<string, string> {
  const state = ctx.state();
  return Object.fromEntries(
    ctx.session.lab.nodes.flatMap((node) => {
      const accel = ctx.of(node.kind).facts(node, state?.nodes[node.name]).accel;
      return accel ? [[node.name, accel]] : [];
    }),
  );
}

/** Read while the lab still has its state: a VM's accelerator is recorded only while it runs. */
export async function reportEnvironment(labOrContext: Lab | LabContext): Promise<ReportEnvironment> {
  const ctx = contextOf(labOrContext);
  const { lab } = ctx.session;
  const accel = accelerators(ctx);
  const qemu = bootsImage(ctx, lab.nodes);
  // The guests' architectures, each VM's image is built for (or must be).
  const arches = [...new Set(lab.nodes.filter((n) => bootsImage(ctx, [n])).map((n) => n.arch))].join(' and ');
  const image =
    'url' in lab.image
      ? `${lab.image.url} (sha256 ${lab.image.sha256.slice(0, 12)}…), ${arches}`
      : `Debian ${lab.image.debian.suite}, built offline, ${arches}`;
  const dpdk =
    lab.dpdk.source === 'release'
      ? `${lab.dpdk.version} from ${lab.dpdk.url}, built in the guest`
      : // The host's version is read; a guest's is its image's, which lab does not read back.
        `the distribution's packages (host: ${await hostDpdk()}${qemu ? "; guests: their image's packages" : ''})`;
  return {
    host: hostname(),
    kernel: release(),
    cpus: availableParallelism(),
    labVersion: labVersion(),
    image: qemu ? image : 'none (netns nodes only)',
    dpdk,
    accel,
    generatedAt: new Date().toISOString(),
  };
}
