// Where a command's lab runs (--target), and where a cluster's VMs answer SSH (--address): flags
// several commands share, read here once.
import { TARGETS, type Target } from '../config/targets.js';
import { closest, LabError } from '../errors.js';
import type { GuestAddress } from '../nodes/node.js';

export function targetOf(text: string | undefined): Target {
  if (text === undefined) return 'local';
  if ((TARGETS as readonly string[]).includes(text)) return text as Target;
  const near = closest(text, TARGETS);
  throw new LabError({
    code: 'USAGE',
    message: `unknown target ${text}: lab runs on ${TARGETS.join(' or ')}`,
    ...(near ? { hint: `Did you mean --target ${near}?` } : {}),
  });
}

/** "dut=10.0.0.5:22,tester=tester.lab:2222": each node's SSH address where not <node>.lab:22. */
export function addressesOf(text: string | undefined): Record<string, GuestAddress> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, GuestAddress> = {};
  for (const item of text.split(',')) {
    const m = /^([a-z][a-z0-9_]*)=([^\s:,]+):(\d{1,5})$/.exec(item.trim());
    const port = Number(m?.[3]);
    if (!m || port < 1 || port > 65535)
      throw new LabError({
        code: 'USAGE',
        message: `--address ${JSON.stringify(item)} is not NODE=HOST:PORT`,
        hint: 'For example --address dut=10.0.0.5:22,tester=127.0.0.1:2222.',
      });
    out[m[1]!] = { host: m[2]!, port };
  }
  return out;
}
