// The VM-free tier: a "VM" is a network namespace on this host, its NIC the far end of a veth,
// and apps run on DPDK's af_packet PMD. Same life cycle and checks as a QEMU VM.
import { cpus } from 'node:os';
import { netnsAppArgv } from '../apps/command.js';
import { netnsTarget, type AppTarget } from '../apps/target.js';
import { packagePath } from '../assets.js';
import { deleteNetns, linkExists, netnsExists, runPlan } from '../host/netns.js';
import type { Undo } from '../host/undo.js';
import { giveNicCommands, namespaceCommands, netnsNicCommands, staticNeighbourCommand, takeNicCommands, vmNamespace } from '../render/hostnet.js';
import type { App, Lab, Nic, Vm } from '../config/lab.js';

export const NATIVE_BIN = packagePath('native', 'build');

export function netnsIsUp(lab: Lab, vm: Vm, labNs: string): Promise<boolean> {
  const vmNs = vmNamespace(lab, vm);
  return (async () => netnsExists(vmNs) && (await Promise.all(vm.nics.map((n) => linkExists(labNs, n.hostIf)))).every(Boolean))();
}

export async function upNetnsVm(lab: Lab, vm: Vm, labNs: string, undo: Undo): Promise<string> {
  const vmNs = vmNamespace(lab, vm);
  await deleteNetns(vmNs); // a half-made one from an interrupted run
  await runPlan(namespaceCommands(vmNs));
  // Deleting the namespace removes the veths too, both ends.
  undo.push(`remove namespace ${vmNs}`, () => deleteNetns(vmNs));
  for (const nic of vm.nics) await runPlan(netnsNicCommands(labNs, vmNs, nic));
  return vmNs;
}

export async function downNetnsVm(lab: Lab, vm: Vm): Promise<void> {
  await deleteNetns(vmNamespace(lab, vm));
}

export function netnsAppTarget(lab: Lab, vm: Vm): AppTarget {
  return netnsTarget(vmNamespace(lab, vm));
}

export function netnsArgv(lab: Lab, app: App, nic: Nic): string[] {
  return netnsAppArgv(lab, app, nic, NATIVE_BIN, cpus().length);
}

/** Takes the NIC from the kernel for the app; the undo gives it back. */
export async function takeNetnsNic(lab: Lab, vm: Vm, nic: Nic, labNs: string): Promise<void> {
  await runPlan([...takeNicCommands(vmNamespace(lab, vm), nic), staticNeighbourCommand(labNs, nic)]);
}

export async function giveNetnsNic(lab: Lab, vm: Vm, nic: Nic): Promise<void> {
  const vmNs = vmNamespace(lab, vm);
  if (netnsExists(vmNs)) await runPlan(giveNicCommands(vmNs, nic));
}
