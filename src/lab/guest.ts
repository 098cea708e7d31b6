// lab ssh and lab logs: a person's way into a running VM, with the host key pinned as for lab itself.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import { writeAtomic } from '../host/files.js';
import { isAlive } from '../host/process.js';
import { readState } from '../host/state.js';
import { appLog, vmPaths } from '../layout.js';
import { GUEST_USER } from '../render/cloud-init.js';
import type { Lab } from '../config/lab.js';
import { findVm } from '../config/lab.js';
import { contextOf } from './context.js';

function runningQemu(lab: Lab, name: string) {
  const { paths } = contextOf(lab);
  const vm = findVm(lab, name);
  if (!vm) throw new LabError({ code: 'USAGE', message: `lab ${lab.name} has no vm "${name}"`, hint: `Its vms: ${lab.vms.map((v) => v.name).join(', ')}.` });
  const q = readState(paths)?.vms[name]?.qemu;
  if (vm.driver !== 'qemu') throw new LabError({ code: 'USAGE', message: `${name} is a netns VM: use \`ip netns exec lab-${lab.name}-${name} …\`` });
  if (!q || !isAlive(q.proc)) throw new LabError({ code: 'STATE', message: `vm ${name} is not running`, hint: 'Run `lab up` first (`lab status` shows what runs).' });
  return { vm, q, paths, vp: vmPaths(paths.root, vm) };
}

/**
 * The system ssh client, so a shell is a real terminal, run inside the lab namespace where QEMU's
 * SSH forward listens; strict host key checking against lab's pin.
 */
export function sshArgv(lab: Lab, name: string, command: string[]): string[] {
  const { q, paths, vp } = runningQemu(lab, name);
  const knownHosts = join(paths.root, 'known_hosts');
  writeAtomic(knownHosts, `[127.0.0.1]:${q.sshPort} ${readFileSync(vp.hostPub, 'utf8').trim()}\n`);
  return [
    'ip', 'netns', 'exec', paths.netns, 'ssh', '-i', paths.sshKey, '-p', String(q.sshPort),
    '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes',
    '-o', 'LogLevel=ERROR', ...(command.length ? [] : ['-t']),
    `${GUEST_USER}@127.0.0.1`, ...command,
  ];
}

/** Runs to completion with the terminal attached; resolves to the remote command's exit code. */
export function attach(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}

/** What `lab logs VM SOURCE` shows: a file on the host, or a command run in the guest. */
export function logsArgv(lab: Lab, name: string, source: string, follow: boolean): string[] {
  const vm = findVm(lab, name);
  const { paths } = contextOf(lab);
  if (!vm) throw new LabError({ code: 'USAGE', message: `lab ${lab.name} has no vm "${name}"` });
  const local = (file: string) => {
    if (!existsSync(file)) throw new LabError({ code: 'STATE', message: `no log yet: ${file}` });
    return follow ? ['tail', '-n', '+1', '-F', file] : ['cat', file];
  };
  if (source === 'serial') return local(vmPaths(paths.root, vm).serial);
  const app = lab.apps.find((a) => a.name === source);
  if (app) return local(appLog(paths, app.name));
  if (source === 'cloud-init') return sshArgv(lab, name, ['sudo', follow ? 'tail -n +1 -F' : 'cat', '/var/log/cloud-init-output.log']);
  throw new LabError({ code: 'USAGE', message: `unknown log "${source}"`, hint: `Use serial, cloud-init, or an app: ${lab.apps.map((a) => a.name).join(', ')}.` });
}
