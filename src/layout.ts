// Where a lab keeps its state: one folder beside the spec, one sub-folder per VM. Pure path arithmetic.
import { dirname, join } from 'node:path';
import type { Lab, Vm } from './config/lab.js';

export interface LabPaths {
  root: string;
  lock: string;
  state: string;
  sshKey: string;
  sshPub: string;
  netns: string;
  logs: string;
}

export interface VmPaths {
  dir: string;
  disk: string;
  seed: string;
  qmp: string;
  serial: string;
  pid: string;
  script: string;
  userData: string;
  metaData: string;
  networkConfig: string;
  hostKey: string;
  hostPub: string;
  logs: string;
}

export function labPaths(lab: Pick<Lab, 'file' | 'name'>): LabPaths {
  const root = join(dirname(lab.file), '.lab', lab.name);
  return {
    root,
    lock: join(root, 'lock'),
    state: join(root, 'state.json'),
    sshKey: join(root, 'id_ed25519'),
    sshPub: join(root, 'id_ed25519.pub'),
    netns: `lab-${lab.name}`,
    logs: join(root, 'logs'),
  };
}

/** `root` lets `lab render --out DIR` write the same tree somewhere else. */
export function vmPaths(root: string, vm: Pick<Vm, 'name'>): VmPaths {
  const dir = join(root, 'vms', vm.name);
  return {
    dir,
    disk: join(dir, 'disk.qcow2'),
    seed: join(dir, 'seed.iso'),
    qmp: join(dir, 'qmp.sock'),
    serial: join(dir, 'serial.log'),
    pid: join(dir, 'qemu.pid'),
    script: join(dir, 'qemu.sh'),
    userData: join(dir, 'user-data'),
    metaData: join(dir, 'meta-data'),
    networkConfig: join(dir, 'network-config'),
    hostKey: join(dir, 'ssh_host_ed25519_key'),
    hostPub: join(dir, 'ssh_host_ed25519_key.pub'),
    logs: join(dir, 'logs'),
  };
}

export function appLog(paths: LabPaths, app: string): string {
  return join(paths.logs, `${app}.log`);
}
