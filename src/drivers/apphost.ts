// Where an app's VM is, seen from lab run/stop/verify: one interface for a netns VM (this host)
// and a QEMU VM (over SSH), so the life cycle and the checks are written once.
import { vmAppArgv } from '../apps/command.js';
import { netnsTarget, sshTarget, type AppTarget } from '../apps/target.js';
import { LabError } from '../errors.js';
import { sshConnect, sshRun } from '../guest/ssh.js';
import { runPlan } from '../host/netns.js';
import { readState } from '../host/state.js';
import { appLog, vmPaths } from '../layout.js';
import { staticNeighbourCommand, vmNamespace } from '../render/hostnet.js';
import { shellQuote } from '../render/shell.js';
import type { App, Lab, Nic, Vm } from '../config/lab.js';
import { contextOf } from '../lab/context.js';
import { giveNetnsNic, netnsArgv, takeNetnsNic } from './netns.js';
import { endpoint } from './qemu.js';

export interface Taken {
  /** The PCI function DPDK is given (QEMU VMs). */
  pci?: string;
  ifname?: string;
  kernel_driver?: string;
}

export interface AppHost {
  target: AppTarget;
  logPath(app: string): string;
  /** Takes the NIC from the guest's kernel for DPDK (and reserves hugepages where needed). */
  take(nic: Nic): Promise<Taken>;
  /** Gives it back to the kernel driver it had, with its address. */
  give(nic: Nic): Promise<void>;
  argv(app: App, nic: Nic, taken: Taken): string[];
  close(): void;
}

export async function openAppHost(lab: Lab, vm: Vm): Promise<AppHost> {
  const { paths } = contextOf(lab);
  if (vm.driver === 'netns') {
    return {
      target: netnsTarget(vmNamespace(lab, vm)),
      logPath: (app) => appLog(paths, app),
      take: async (nic) => (await takeNetnsNic(lab, vm, nic, paths.netns), {}),
      give: (nic) => giveNetnsNic(lab, vm, nic),
      argv: (app, nic) => netnsArgv(lab, app, nic),
      close: () => undefined,
    };
  }
  const q = readState(paths)?.vms[vm.name]?.qemu;
  if (!q) throw new LabError({ code: 'STATE', message: `vm ${vm.name} is not running`, hint: 'Run `lab up` first.' });
  const conn = await sshConnect(endpoint(vmPaths(paths.root, vm), paths.sshKey, paths.netns, q.sshPort));
  return {
    target: sshTarget(conn, vm.name),
    logPath: (app) => `/var/log/lab/${app}.log`,
    take: async (nic) => {
      await sshRun(conn, 'sudo /opt/lab/bin/lab-hugepages', 120_000);
      const taken = JSON.parse(await sshRun(conn, `sudo /opt/lab/bin/lab-nic take ${nic.mac} ${shellQuote(nic.driver)}`, 120_000)) as Taken;
      await runPlan([staticNeighbourCommand(paths.netns, nic)]);
      return taken;
    },
    give: async (nic) => void (await sshRun(conn, `sudo /opt/lab/bin/lab-nic give ${nic.mac}`, 120_000)),
    argv: (app, _nic, taken) => {
      if (!taken.pci) throw new Error('vmAppArgv: the NIC was not taken');
      return vmAppArgv(lab, app, taken.pci);
    },
    close: () => conn.end(),
  };
}
