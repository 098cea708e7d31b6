// lab reset: a running lab, or one VM of it, back in the state lab up left it in: every app stopped
// with its NIC given back, and a QEMU VM restarted from its provisioned snapshot.
import { type Lab, type Node, nodeNamed } from '../config/lab.js';
import { openDrivers } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { withLock } from '../host/lock.js';
import type { Reporter } from '../progress.js';
import { readState, writeState } from '../state/store.js';
import { stopAndGiveBack, withHost } from './apps.js';

export interface ResetResult {
  lab: string;
  nodes: Array<{ node: string; appsStopped: string[]; ms: number }>;
}

export async function labReset(lab: Lab, reporter: Reporter, only?: string): Promise<ResetResult> {
  const drivers = openDrivers(lab, reporter);
  const { paths } = drivers.session;
  const nodes: Node[] = only === undefined ? lab.nodes : [nodeNamed(lab, only)];
  return withLock(paths.lock, 'reset', async () => {
    if (!readState(paths))
      throw new LabError({ code: 'STATE', message: `lab ${lab.name} is not up`, hint: 'Run `lab up` first.' });
    const out: ResetResult['nodes'] = [];
    for (const node of nodes) {
      const started = Date.now();
      const apps = Object.entries(readState(paths)?.apps ?? {})
        .filter(([, a]) => a.node === node.name)
        .map(([name]) => name);
      await withHost(drivers, node, readState(paths), async (host) => {
        for (const app of apps)
          await reporter.step(`${node.name}: stop ${app} and give its NIC back`, () =>
            stopAndGiveBack(drivers, app, host),
          );
      });
      const record = await drivers.of(node.kind).reset(node, readState(paths)?.nodes[node.name]);
      const state = readState(paths);
      if (state && record) {
        state.nodes[node.name] = record;
        writeState(paths, state);
      }
      out.push({ node: node.name, appsStopped: apps, ms: Date.now() - started });
    }
    return { lab: lab.name, nodes: out };
  });
}
