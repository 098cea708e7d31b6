// Which state folder owns a lab's name on this host. A lab's namespace (lab-<name>), taps and DPDK
// file prefixes are named for the lab, host-wide, while its state sits beside its spec: two
// checkouts of one spec would otherwise both make, and both tear down, the same namespace.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LabError } from '../errors.js';
import { writeAtomic } from './files.js';

export interface NameClaim {
  /** The host-wide file naming the owner (beside the lab's lock). */
  owner: string;
  /** This checkout's state folder. */
  root: string;
  /** The lab's name. */
  name: string;
}

function ownerOf(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Another state folder that has this lab up; one whose state is gone (brought down, deleted) no longer owns it. */
function otherOwner(claim: NameClaim): string | undefined {
  const other = ownerOf(claim.owner);
  return other && other !== claim.root && existsSync(join(other, 'state.json')) ? other : undefined;
}

/** Refuses when another checkout has this lab's name up; call under the lab's lock. */
export function checkOwner(claim: NameClaim, verb: string): void {
  const other = otherOwner(claim);
  if (!other) return;
  const spec = dirname(dirname(other));
  throw new LabError({
    code: 'STATE',
    message: `lab ${claim.name} is up on this host from another folder (${spec}); lab ${verb} here would ${verb === 'up' ? 'share' : 'tear down'} its namespace lab-${claim.name}, nothing was touched`,
    hint: `One lab of a name runs per host: its namespace, taps and DPDK file prefixes are named for it. Run lab down in ${spec}, or give this lab another name.`,
  });
}

/** Takes the name for this checkout (lab up), under the lab's lock. */
export function claimName(claim: NameClaim): void {
  checkOwner(claim, 'up');
  if (ownerOf(claim.owner) !== claim.root) writeAtomic(claim.owner, `${claim.root}\n`);
}

/** Gives the name back (a whole lab down), if this checkout holds it. */
export function releaseName(claim: NameClaim): void {
  if (ownerOf(claim.owner) === claim.root) rmSync(claim.owner, { force: true });
}
