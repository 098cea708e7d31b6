// lab up: make every VM of the lab exist and run; change nothing that already does.
import { cpus } from 'node:os';
import { packagePath } from '../assets.js';
import type { Steps } from '../commands/steps.js';
import { run } from '../host/exec.js';
import { withLock } from '../host/lock.js';
import { deleteNetns, netnsExists, runPlan } from '../host/netns.js';
import { readState, writeState, type LabState } from '../host/state.js';
import { transaction } from '../host/undo.js';
import { netnsIsUp, upNetnsVm } from '../drivers/netns.js';
import { namespaceCommands, vmNamespace } from '../render/hostnet.js';
import type { Lab } from '../spec/lab.js';
import { contextOf, requireNetnsOnly } from './context.js';

export interface UpResult {
  lab: string;
  alreadyUp: boolean;
  netns: string;
  vms: Array<{ vm: string; driver: string; netns: string; nics: Array<{ name: string; queues: number; mac: string; ip: string; hostIf: string; host_ip: string }> }>;
}

async function everythingUp(lab: Lab, state: LabState | undefined, labNs: string): Promise<boolean> {
  if (!state || !netnsExists(labNs)) return false;
  for (const vm of lab.vms) if (!state.vms[vm.name] || !(await netnsIsUp(lab, vm, labNs))) return false;
  return true;
}

export async function labUp(lab: Lab, steps: Steps): Promise<UpResult> {
  requireNetnsOnly(lab, 'up');
  const { paths } = contextOf(lab);
  const labNs = paths.netns;
  const summary = (alreadyUp: boolean): UpResult => ({
    lab: lab.name,
    alreadyUp,
    netns: labNs,
    vms: lab.vms.map((vm) => ({
      vm: vm.name,
      driver: vm.driver,
      netns: vmNamespace(lab, vm),
      nics: vm.nics.map((n) => ({ name: n.name, queues: n.queues, mac: n.mac, ip: n.ip, hostIf: n.hostIf, host_ip: n.host_ip })),
    })),
  });

  return withLock(paths.lock, 'up', async () => {
    const previous = readState(paths);
    if (await everythingUp(lab, previous, labNs)) return summary(true);
    return transaction(async (undo, checkpoint) => {
      await steps.run('build the native apps (make -C native)', () =>
        run(['make', '-C', packagePath('native'), `-j${cpus().length}`], { code: 'ENV_TOOL', what: 'building the native apps', timeoutMs: 600_000 }),
      );
      checkpoint();
      if (!netnsExists(labNs)) {
        await steps.run(`create the lab namespace ${labNs}`, () => runPlan(namespaceCommands(labNs)));
        undo.push(`remove namespace ${labNs}`, () => deleteNetns(labNs));
      }
      const state: LabState = previous ?? { lab: lab.name, spec: lab.file, netns: labNs, createdAt: new Date().toISOString(), vms: {}, apps: {} };
      for (const vm of lab.vms) {
        checkpoint();
        if (state.vms[vm.name] && (await netnsIsUp(lab, vm, labNs))) continue;
        const nics = vm.nics.map((n) => `${n.name} ×${n.queues}q`).join(', ');
        const netns = await steps.run(`start ${vm.name}: namespace ${vmNamespace(lab, vm)}, veth ${nics}`, () => upNetnsVm(lab, vm, labNs, undo));
        state.vms[vm.name] = { driver: vm.driver, startedAt: new Date().toISOString(), netns };
      }
      checkpoint();
      writeState(paths, state);
      return summary(false);
    });
  });
}
