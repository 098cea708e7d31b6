// lab render: every node's generated files written to a folder, nothing started.
import { resolve } from 'node:path';
import type { Lab } from '../config/lab.js';
import type { RenderedNode } from '../nodes/node.js';
import { openContext } from '../nodes/registry.js';
import { makeDir } from '../host/files.js';
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
