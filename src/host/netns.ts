// Network namespaces and links on the host: created from the pure command plans, removed without fail.
import { existsSync } from 'node:fs';
import { run, runQuiet } from './exec.js';

export function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

/** Runs a plan of commands (the pure renderers make them) in order, stopping at the first failure. */
export async function runPlan(commands: string[][]): Promise<void> {
  for (const argv of commands) await run(argv, { code: 'ENV_HOST', what: 'host network set-up', timeoutMs: 30_000 });
}

/** Deleting a namespace removes every link inside it; a missing one is not an error. */
export async function deleteNetns(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  await run(['ip', 'netns', 'delete', name], {
    code: 'ENV_HOST',
    what: 'removing a network namespace',
    timeoutMs: 30_000,
  });
}

/** The names of the interfaces in a namespace. */
export async function linkNames(netns: string): Promise<string[]> {
  const r = await run(['ip', '-n', netns, '-j', 'link', 'show'], {
    code: 'ENV_HOST',
    what: 'listing interfaces',
    timeoutMs: 30_000,
  });
  return (JSON.parse(r.stdout) as Array<{ ifname: string }>).map((l) => l.ifname);
}

export async function linkExists(netns: string, ifname: string): Promise<boolean> {
  return (await runQuiet(['ip', '-n', netns, 'link', 'show', ifname])).exitCode === 0;
}
