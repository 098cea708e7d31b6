// A person's shell on a VM: the system ssh client (a real terminal), run inside the lab namespace
// where the guest's SSH answers, with strict host key checking against lab's pin.
import { readFileSync } from 'node:fs';
import { writeAtomic } from '../../host/files.js';
import { GUEST, type LabPaths } from '../../layout.js';

export function guestShellArgv(
  paths: LabPaths,
  hostPubFile: string,
  address: { host: string; port: number },
  command: string[],
): string[] {
  const known = address.port === 22 ? address.host : `[${address.host}]:${address.port}`;
  writeAtomic(paths.knownHosts, `${known} ${readFileSync(hostPubFile, 'utf8').trim()}\n`);
  return [
    'ip',
    'netns',
    'exec',
    paths.netns,
    'ssh',
    '-i',
    paths.sshKey,
    '-p',
    String(address.port),
    '-o',
    `UserKnownHostsFile=${paths.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'LogLevel=ERROR',
    ...(command.length ? [] : ['-t']),
    `${GUEST.user}@${address.host}`,
    ...command,
  ];
}
