// lab down: stop apps, remove every namespace and link the lab made; keep the image cache.
// Works from the spec alone, so a crashed or half-made lab is cleaned up as well as a running one.
import { rmSync } from 'node:fs';
import { stopApp } from '../apps/runner.js';
import { downNetnsVm, netnsAppTarget } from '../drivers/netns.js';
import { qemuPidFile, stopQemu } from '../drivers/qemu.js';
import { vmPaths } from '../layout.js';
import { withLock } from '../host/lock.js';
import { deleteNetns, netnsExists } from '../host/netns.js';
import { readState } from '../host/state.js';
import { vmNamespace } from '../render/hostnet.js';
import type { Lab } from '../config/lab.js';
import { findVm } from '../config/lab.js';
import { contextOf } from './context.js';

export interface DownResult {
  lab: string;
  removed: string[];
  purged: boolean;
}

export async function labDown(lab: Lab, purge: boolean): Promise<DownResult> {
  const { paths } = contextOf(lab);
  return withLock(paths.lock, 'down', async () => {
    const removed: string[] = [];
    const state = readState(paths);
    for (const [name, app] of Object.entries(state?.apps ?? {})) {
      const vm = findVm(lab, app.vm);
      if (vm?.driver !== 'netns') continue;
      const stopped = await stopApp({ target: netnsAppTarget(lab, vm), ref: app.proc, log: app.log });
      if (stopped.how !== 'gone') removed.push(`app ${name} (pid ${app.proc.pid}, ${stopped.how})`);
    }
    for (const vm of lab.vms.filter((v) => v.driver === 'qemu')) {
      // The state's record, or for a half-made lab the pidfile QEMU wrote.
      const ref = state?.vms[vm.name]?.qemu?.proc ?? qemuPidFile(vmPaths(paths.root, vm));
      if (!ref) continue;
      const how = await stopQemu(ref, vmPaths(paths.root, vm));
      if (how !== 'gone') removed.push(`QEMU of ${vm.name} (pid ${ref.pid}, ${how})`);
    }
    for (const vm of lab.vms.filter((v) => v.driver === 'netns')) {
      const ns = vmNamespace(lab, vm);
      if (!netnsExists(ns)) continue;
      await downNetnsVm(lab, vm);
      removed.push(`namespace ${ns}`);
    }
    if (netnsExists(paths.netns)) {
      await deleteNetns(paths.netns);
      removed.push(`namespace ${paths.netns}`);
    }
    rmSync(paths.state, { force: true });
    if (purge) rmSync(paths.root, { recursive: true, force: true });
    return { lab: lab.name, removed, purged: purge };
  });
}
