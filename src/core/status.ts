// lab status: what exists and runs, read from the state and checked against the host by each node's driver.
import { findNode, type Lab } from '../config/lab.js';
import { LabError } from '../errors.js';
import type { NodeState } from '../nodes/node.js';
import { contextOf, type LabContext } from '../nodes/registry.js';
import { netnsExists } from '../host/netns.js';
import { withHost } from './apps.js';
import { nodeSummary, type NodeSummary } from './summary.js';

export interface StatusResult {
  lab: string;
  up: boolean;
  netns: { name: string; exists: boolean };
  nodes: Array<
    NodeSummary & {
      state: NodeState;
      since?: string;
      uptimeS?: number;
      pid?: number;
    }
  >;
  apps: Array<{
    app: string;
    node: string;
    state: 'running' | 'exited';
    pid: number;
    since: string;
    log: string;
    queues: number;
    rss: string;
  }>;
}

/** The whole lab's status, or with `only` that one node's and its apps'. */
export async function labStatus(labOrContext: Lab | LabContext, only?: string): Promise<StatusResult> {
  const ctx = contextOf(labOrContext);
  const { lab } = ctx.session;
  const { paths } = ctx.session;
  const state = ctx.state();
  if (only !== undefined && !findNode(lab, only))
    throw new LabError({
      code: 'USAGE',
      message: `lab ${lab.name} has no node "${only}"`,
      hint: `Its nodes: ${lab.nodes.map((v) => v.name).join(', ')}.`,
    });
  const nodes: StatusResult['nodes'] = [];
  for (const node of lab.nodes.filter((v) => only === undefined || v.name === only)) {
    const driver = ctx.of(node.kind);
    const recorded = state?.nodes[node.name];
    const status = await driver.status(node, recorded);
    // The process its record names, or the QEMU a killed lab up left behind without a record.
    const pid = status.pid ?? driver.facts(node, recorded).pid;
    nodes.push({
      ...nodeSummary(ctx, node, recorded),
      state: status.state,
      ...(pid !== undefined ? { pid } : {}),
      ...(recorded
        ? { since: recorded.startedAt, uptimeS: Math.round((Date.now() - Date.parse(recorded.startedAt)) / 1000) }
        : {}),
    });
  }
  const apps: StatusResult['apps'] = [];
  for (const [app, s] of Object.entries(state?.apps ?? {}).filter(([, a]) => only === undefined || a.node === only)) {
    // An app's PID is its node's: asked of the node, which for a VM means the guest.
    const node = lab.nodes.find((v) => v.name === s.node);
    const nodeRunning = nodes.find((v) => v.node === s.node)?.state === 'running';
    const alive =
      node !== undefined && nodeRunning && (await withHost(ctx, node, state, (host) => host.target.alive(s.proc)));
    apps.push({
      app,
      node: s.node,
      state: alive ? 'running' : 'exited',
      pid: s.proc.pid,
      since: s.startedAt,
      log: s.log,
      queues: s.ready.queues,
      rss: s.ready.rss,
    });
  }
  return {
    lab: lab.name,
    up: nodes.every((v) => v.state === 'running'),
    netns: { name: paths.netns, exists: netnsExists(paths.netns) },
    nodes,
    apps,
  };
}
