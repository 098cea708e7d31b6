// lab up: make every VM of the lab exist and run; change nothing that already does.
import { cpus } from 'node:os';
import type { Accel } from '../host/accel.js';
import { packagePath } from '../assets.js';
import { renderLabFiles } from '../commands/render.js';
import { progress } from '../commands/output.js';
import type { Steps } from '../commands/steps.js';
import { endpoint, upQemuVm } from '../drivers/qemu.js';
import { netnsIsUp, upNetnsVm } from '../drivers/netns.js';
import { run } from '../host/exec.js';
import { withLock } from '../host/lock.js';
import { deleteNetns, netnsExists, runPlan } from '../host/netns.js';
import { isAlive } from '../host/process.js';
import { readState, writeState, type LabState, type VmState } from '../host/state.js';
import { transaction, type Undo } from '../host/undo.js';
import { ensureImage } from '../image/build.js';
import { imageCacheRoot, imagePlan } from '../image/recipe.js';
import { vmPaths } from '../layout.js';
import { namespaceCommands, vmNamespace } from '../render/hostnet.js';
import type { Lab, Vm } from '../config/lab.js';
import { contextOf, type LabContext } from './context.js';

export interface UpResult {
  lab: string;
  alreadyUp: boolean;
  netns: string;
  image?: { dir: string; reused: boolean };
  vms: Array<{
    vm: string;
    driver: string;
    netns: string;
    accel?: Accel;
    accelReason?: string;
    sshPort?: number;
    nics: Array<{ name: string; queues: number; mac: string; ip: string; hostIf: string; host_ip: string; guestIf?: string; guestQueues?: number }>;
  }>;
}

async function vmIsUp(lab: Lab, vm: Vm, s: VmState | undefined, labNs: string): Promise<boolean> {
  if (!s) return false;
  if (vm.driver === 'netns') return netnsIsUp(lab, vm, labNs);
  return s.qemu !== undefined && isAlive(s.qemu.proc);
}

function summary(lab: Lab, state: LabState, alreadyUp: boolean, labNs: string, image?: UpResult['image']): UpResult {
  return {
    lab: lab.name,
    alreadyUp,
    netns: labNs,
    ...(image ? { image } : {}),
    vms: lab.vms.map((vm) => {
      const q = state.vms[vm.name]?.qemu;
      return {
        vm: vm.name,
        driver: vm.driver,
        netns: vm.driver === 'netns' ? vmNamespace(lab, vm) : labNs,
        ...(q ? { accel: q.accel, accelReason: q.accelReason, sshPort: q.sshPort } : {}),
        nics: vm.nics.map((n) => {
          const g = q?.nics.find((x) => x.name === n.name);
          return { name: n.name, queues: n.queues, mac: n.mac, ip: n.ip, hostIf: n.hostIf, host_ip: n.host_ip, ...(g ? { guestIf: g.ifname, guestQueues: g.combined } : {}) };
        }),
      };
    }),
  };
}

export async function labUp(lab: Lab, steps: Steps): Promise<UpResult> {
  const ctx = contextOf(lab);
  const { paths } = ctx;
  const labNs = paths.netns;
  return withLock(paths.lock, 'up', async () => {
    const previous = readState(paths);
    const state: LabState = previous ?? { lab: lab.name, spec: lab.file, netns: labNs, createdAt: new Date().toISOString(), vms: {}, apps: {} };
    const down: Vm[] = [];
    for (const vm of lab.vms) if (!netnsExists(labNs) || !(await vmIsUp(lab, vm, state.vms[vm.name], labNs))) down.push(vm);
    if (previous && !down.length) return summary(lab, state, true, labNs);

    return transaction(async (undo, checkpoint) => {
      await steps.run('build the native apps (make -C native)', () =>
        run(['make', '-C', packagePath('native'), `-j${cpus().length}`], { code: 'ENV_TOOL', what: 'building the native apps', timeoutMs: 600_000 }),
      );
      checkpoint();
      if (!netnsExists(labNs)) {
        await steps.run(`create the lab namespace ${labNs}`, () => runPlan(namespaceCommands(labNs)));
        undo.push(`remove namespace ${labNs}`, () => deleteNetns(labNs));
      }
      let image: UpResult['image'];
      for (const vm of down.filter((v) => v.driver === 'netns')) {
        checkpoint();
        const nics = vm.nics.map((n) => `${n.name} ×${n.queues}q`).join(', ');
        const netns = await steps.run(`start ${vm.name}: namespace ${vmNamespace(lab, vm)}, veth ${nics}`, () => upNetnsVm(lab, vm, labNs, undo));
        state.vms[vm.name] = { driver: vm.driver, startedAt: new Date().toISOString(), netns };
      }
      const qemuVms = down.filter((v) => v.driver === 'qemu');
      if (qemuVms.length) image = await upQemuVms(ctx, qemuVms, state, undo, checkpoint, steps);
      checkpoint();
      writeState(paths, state);
      return summary(lab, state, false, labNs, image);
    });
  });
}

async function upQemuVms(ctx: LabContext, vms: Vm[], state: LabState, undo: Undo, checkpoint: () => void, steps: Steps): Promise<UpResult['image']> {
  const { lab, paths } = ctx;
  const plan = imagePlan(lab, imageCacheRoot());
  const reused = await ensureImage(lab, plan, steps);
  if (reused) progress(`✓ guest image reused from the cache: ${plan.dir}`);
  checkpoint();
  const rendered = await steps.run('render the VM files (qemu.sh, cloud-init seed)', () => renderLabFiles(lab, { root: paths.root }));
  for (const vm of vms) {
    checkpoint();
    const r = rendered.find((x) => x.vm === vm.name)!;
    const vp = vmPaths(paths.root, vm);
    progress(`  ${vm.name}: accelerator ${r.accel.accel} (${r.accel.reason})`);
    const startedAt = new Date().toISOString();
    const up = await upQemuVm(vm, r.argv, vp, plan, paths.netns, endpoint(vp, paths.sshKey, paths.netns, r.sshPort), undo, steps);
    state.vms[vm.name] = {
      driver: 'qemu',
      startedAt,
      qemu: { proc: up.proc, sshPort: r.sshPort, accel: r.accel.accel, accelReason: r.accel.reason, nics: up.nics },
    };
  }
  return { dir: plan.dir, reused };
}
