// lab reset: a running lab, or one VM of it, back in the state lab up left it in: every app stopped
// with its NIC given back, and a QEMU VM restarted from its provisioned snapshot.
import { type Lab, type Node, nodeNamed } from '../config/lab.js';
import { openContext } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { withLock } from '../host/lock.js';
import type { Reporter } from '../progress.js';
import { stopAndGiveBack, withHost } from './apps.js';

export interface ResetResult {
  lab: string;
  nodes: Array<{ node: string; appsStopped: string[]; ms: number }>;
}

export async function labReset(lab: Lab, reporter: Reporter, only?: string): Promise<ResetResult> {
  const ctx = openContext(lab, reporter);
  const { paths } = ctx.session;
  const nodes: Node[] = only === undefined ? lab.nodes : [nodeNamed(lab, only)];
  return withLock(paths.lock, 'reset', async () => {
    const state = ctx.state();
    if (!state)
      throw new LabError({ code: 'STATE', message: `lab ${lab.name} is not up`, hint: 'Run `lab up` first.' });
    const out: ResetResult['nodes'] = [];
    for (const node of nodes) {
      const started = Date.now();
      const apps = Object.entries(state.apps)
        .filter(([, a]) => a.node === node.name)
        .map(([name]) => name);
      // stopAndGiveBack forgets each app in this same state, through the context.
      await withHost(ctx, node, state, async (host) => {
        for (const app of apps)
          await reporter.step(`${node.name}: stop ${app} and give its NIC back`, () => stopAndGiveBack(ctx, app, host));
      });
      const record = await ctx.of(node.kind).reset(node, state.nodes[node.name]);
      if (record) {
        state.nodes[node.name] = record;
        ctx.saveState(state);
      }
      out.push({ node: node.name, appsStopped: apps, ms: Date.now() - started });
    }
    return { lab: lab.name, nodes: out };
  });
}
