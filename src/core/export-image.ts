// lab images export: a node's guest image in a form another engine boots, made from lab's cache
// (built first if it is not there).
import { closest, LabError } from '../errors.js';
import { findNode, type Lab } from '../config/lab.js';
import { ensureImage } from '../image/build.js';
import { dpdkBuildPlan } from '../image/dpdk-build.js';
import { dpdkBuildCacheRoot } from '../layout.js';
import { exportContainerDisk, type ContainerDiskExport } from '../image/container-disk.js';
import { openContext } from '../nodes/registry.js';
import type { Reporter } from '../progress.js';

export const EXPORT_FORMATS = ['containerdisk'] as const;

export async function labExportImage(
  lab: Lab,
  nodeName: string,
  out: string,
  reporter: Reporter,
): Promise<ContainerDiskExport> {
  const node = findNode(lab, nodeName);
  if (!node) {
    const near = closest(
      nodeName,
      lab.nodes.map((n) => n.name),
    );
    throw new LabError({
      code: 'USAGE',
      message: `lab ${lab.name} has no node ${nodeName}`,
      hint: near ? `Did you mean ${near}?` : `Its nodes: ${lab.nodes.map((n) => n.name).join(', ')}.`,
    });
  }
  const ctx = openContext(lab, reporter);
  if (!ctx.of(node.kind).bootsImage)
    throw new LabError({
      code: 'USAGE',
      message: `node ${node.name} is a ${node.kind} node: it boots no guest image to export`,
    });
  const image = ctx.session.image(node.arch);
  await ensureImage(lab, image, reporter);
  return exportContainerDisk(image, dpdkBuildPlan(lab, image.key, dpdkBuildCacheRoot()), out, reporter);
}
