// lab ssh and lab logs: a person's way onto a node, each kind saying how (SSH with the pinned host
// key into a VM, ip netns exec into a namespace).
import { nodeNamed, type Lab } from '../config/lab.js';
import { openDrivers } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { quiet } from '../progress.js';
import { readState } from '../state/store.js';

export function shellArgv(lab: Lab, name: string, command: string[]): string[] {
  const drivers = openDrivers(lab, quiet);
  const node = nodeNamed(lab, name);
  return drivers.of(node.kind).shellArgv(node, readState(drivers.session.paths)?.nodes[name], command);
}

/** What `lab logs VM [SOURCE]` shows: one of the node's own logs (the first by default), or an app's. */
export function logsArgv(lab: Lab, name: string, source: string | undefined, follow: boolean): string[] {
  const drivers = openDrivers(lab, quiet);
  const node = nodeNamed(lab, name);
  const driver = drivers.of(node.kind);
  const state = readState(drivers.session.paths);
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
