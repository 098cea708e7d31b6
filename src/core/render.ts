// lab render: every node's generated files written to a folder, or the lab's manifests for a
// KubeVirt cluster; nothing started.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Lab } from '../config/lab.js';
import type { RenderedNode } from '../nodes/node.js';
import { openContext } from '../nodes/registry.js';
import { makeDir, writeAtomic } from '../host/files.js';
import { readKeyPair } from '../host/keys.js';
import { testerImageTag } from '../image/tester-image.js';
import { containerDiskTag, containerDiskVersion } from '../image/container-disk.js';
import { dpdkBuildPlan } from '../image/dpdk-build.js';
import { dpdkBuildCacheRoot } from '../layout.js';
import { kubevirtFiles, renderKubevirt, type ClusterGuest } from '../render/kubevirt.js';
import { quiet } from '../progress.js';

export interface RenderResult {
  lab: string;
  out: string;
  nodes: RenderedNode[];
}

/**
 * Renders into `out`, or into the lab's own state folder, where the ports and keys of nodes lab
 * already started are kept as their records have them.
 */
export async function labRender(lab: Lab, out?: string): Promise<RenderResult> {
  const ctx = openContext(lab, quiet);
  const { paths } = ctx.session;
  const root = resolve(out ?? paths.root);
  if (out !== undefined) makeDir(root, 0o755, 'USAGE');
  const state = root === paths.root ? ctx.state() : undefined;
  const nodes: RenderedNode[] = [];
  for (const node of lab.nodes) {
    const rendered = await ctx.of(node.kind).render(node, root, state);
    if (rendered) nodes.push(rendered);
  }
  return { lab: lab.name, out: root, nodes };
}

export interface KubevirtRenderResult {
  lab: string;
  out: string;
  namespace: string;
  guestImage: string;
  /** Where the cluster downloads the VMs' root disks from, when it does (DataVolumes), in place of guestImage's. */
  download?: string;
  /** Each file written, with how many objects of which kinds it holds. */
  files: Array<{ file: string; kinds: string[] }>;
}

/**
 * Renders the lab for a KubeVirt cluster into `out` (default: the lab's state folder's kubevirt/),
 * its SSH keys kept there too. The lab was loaded with the kubevirt target's rules.
 */
export async function labRenderKubevirt(
  lab: Lab,
  o: { out?: string; namespace?: string },
): Promise<KubevirtRenderResult> {
  const ctx = openContext(lab, quiet);
  const { paths } = ctx.session;
  const root = resolve(o.out ?? join(paths.root, 'kubevirt'));
  makeDir(root, 0o755, o.out === undefined ? 'ENV_HOST' : 'USAGE');
  const guests = new Map<string, ClusterGuest>();
  for (const node of lab.nodes) {
    const guest = ctx.of(node.kind).clusterGuest;
    if (!guest) throw new Error(`node kind ${node.kind} passed the kubevirt target's rules but has no cluster guest`);
    guests.set(node.name, await guest(node, root));
  }
  const namespace = o.namespace || lab.spec.cluster.namespace || `lab-${lab.name}`;
  // The tag lab images export gives each node's image (one per architecture), unless the spec names one.
  const guestImages = new Map(
    lab.nodes.map((node) => {
      const image = ctx.session.image(node.arch);
      const tag = containerDiskTag(containerDiskVersion(image, dpdkBuildPlan(lab, image.key, dpdkBuildCacheRoot())));
      return [node.name, lab.spec.cluster.guest_image || tag];
    }),
  );
  const guestImage = [...new Set(guestImages.values())].join(', ');
  const labKey = readKeyPair(join(root, 'id_ed25519'));
  if (!labKey) throw new Error(`the cluster guests were rendered but ${root} has no lab key`);
  const { cluster } = lab.spec;
  const download =
    'url' in lab.image && !cluster.guest_image ? { url: lab.image.url, size: cluster.disk_size } : undefined;
  const manifests = renderKubevirt(lab, {
    namespace,
    guestImages,
    ...(download ? { download } : {}),
    nodes: guests,
    tester: {
      image: lab.spec.cluster.tester_image || testerImageTag(),
      spec: readFileSync(lab.file, 'utf8'),
      labKey,
    },
  });
  const files = kubevirtFiles(manifests);
  for (const [name, text] of Object.entries(files))
    // The Secrets hold each guest's private host key, and the tester's the lab's private key.
    writeAtomic(join(root, name), text, ['secrets.yaml', 'tester.yaml'].includes(name) ? 0o600 : 0o644);
  return {
    lab: lab.name,
    out: root,
    namespace,
    guestImage,
    ...(download ? { download: download.url } : {}),
    files: Object.entries(files).map(([name, text]) => ({
      file: join(root, name),
      kinds: parseAllDocuments(text).map((d) => String((d.toJS() as { kind: string }).kind)),
    })),
  };
}
