// lab ssh and lab logs: a person's way onto a node, each kind saying how (SSH with the pinned host
// key into a VM, ip netns exec into a namespace).
import { nodeNamed, type Lab } from '../config/lab.js';
import { contextOf, type LabContext } from '../nodes/registry.js';
import { LabError } from '../errors.js';

export function shellArgv(lab: Lab, name: string, command: string[]): string[] {
  const ctx = contextOf(lab);
  const node = nodeNamed(lab, name);
  return ctx.of(node.kind).shellArgv(node, ctx.state()?.nodes[name], command);
}

/** What `lab logs VM [SOURCE]` shows: one of the node's own logs (the first by default), or an app's. */
export function logsArgv(
  labOrContext: Lab | LabContext,
  name: string,
  source: string | undefined,
  follow: boolean,
): string[] {
  const ctx = contextOf(labOrContext);
  const { lab } = ctx.session;
  const node = nodeNamed(lab, name);
  const driver = ctx.of(node.kind);
  const state = ctx.state();
  const record = state?.nodes[name];
  const apps = lab.apps.filter((a) => a.node === name).map((a) => a.name);
  const wanted = source ?? driver.logSources[0];
  if (wanted && driver.logSources.includes(wanted)) return driver.logArgv(node, record, { source: wanted }, follow);
  if (wanted && apps.includes(wanted)) {
    // Where the running (or last) app wrote, else where the node would have it write.
    const file = state?.apps[wanted]?.log ?? driver.appLogPath(wanted);
    return driver.logArgv(node, record, { file }, follow);
  }
  const offered = [...driver.logSources, ...apps];
  throw new LabError({
    code: 'USAGE',
    message: wanted ? `node ${name} has no log "${wanted}"` : `name a log of node ${name}`,
    hint: `Its logs: ${offered.join(', ') || 'none'}.`,
  });
}
