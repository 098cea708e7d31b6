// Network namespaces and links on the host: created from the pure command plans, removed without fail.
import { existsSync, statSync } from 'node:fs';
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

/** Whether the named namespace is the one this process runs in. */
export function isOwnNetns(name: string): boolean {
  const named = statSync(`/run/netns/${name}`);
  const own = statSync('/proc/self/ns/net');
  return named.ino === own.ino && named.dev === own.dev;
}

/** Names the namespace this process runs in (ip netns attach), so ip -n and ip netns exec reach it. */
export async function nameOwnNetns(name: string): Promise<void> {
  await run(['ip', 'netns', 'attach', name, String(process.pid)], {
    code: 'ENV_HOST',
    what: 'naming this namespace',
    timeoutMs: 30_000,
  });
}

/** Whether an interface in a namespace has this IPv4 address. */
export async function hasAddress(netns: string, ifname: string, ip: string): Promise<boolean> {
  const r = await run(['ip', '-n', netns, '-j', '-4', 'addr', 'show', 'dev', ifname], {
    code: 'ENV_HOST',
    what: 'reading addresses',
    timeoutMs: 30_000,
  });
  const links = JSON.parse(r.stdout || '[]') as Array<{ addr_info?: Array<{ local: string }> }>;
  return links.some((l) => l.addr_info?.some((a) => a.local === ip));
}
