// lab up on a cluster (--target kubevirt), run in the tester pod: the cluster started the VMs and
// Multus joined the pod to their wires, so lab makes nothing. It names the namespace it runs in as
// the lab namespace, gives the tester's interfaces their addresses, finds each VM over SSH with the
// keys lab render made and waits for cloud-init there, and records it all: run, verify, bench and
// down then work as they do on this host.
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Lab } from '../config/lab.js';
import { LabError } from '../errors.js';
import { makeDir } from '../host/files.js';
import { withLock } from '../host/lock.js';
import { buildNative, nativeBuildDir } from '../host/native-build.js';
import { deleteNetns, isOwnNetns, nameOwnNetns, netnsExists } from '../host/netns.js';
import { transaction } from '../host/undo.js';
import { nodePaths, type LabPaths } from '../layout.js';
import type { GuestAddress } from '../nodes/node.js';
import { openContext } from '../nodes/registry.js';
import type { Reporter } from '../progress.js';
import { ensureStateFolder, newState } from '../state/store.js';
import { adoptTesterEnds } from '../wires/registry.js';
import { upResult, type UpResult } from './summary.js';

export interface AttachOptions {
  /** A folder with the keys lab render wrote (id_ed25519, nodes/<node>/ssh_host_ed25519_key.pub), copied into the state folder. */
  keys?: string;
  /** Where a VM answers SSH, where not at <node>.lab:22. */
  addresses?: Record<string, GuestAddress>;
}

/** The lab's key and each VM's pinned host key, from where lab render wrote them (or a state folder). */
function copyKeys(from: string, paths: LabPaths, nodes: readonly string[]): void {
  const files = [
    { from: join(from, 'id_ed25519'), to: paths.sshKey, mode: 0o600 },
    { from: join(from, 'id_ed25519.pub'), to: paths.sshPub, mode: 0o644 },
    ...nodes.map((node) => ({
      from: nodePaths(from, node).hostPub,
      to: nodePaths(paths.root, node).hostPub,
      mode: 0o644,
    })),
  ];
  const missing = files.filter((f) => !existsSync(f.from)).map((f) => f.from);
  if (missing.length)
    throw new LabError({
      code: 'USAGE',
      message: `--keys ${from} has no ${missing.join(', ')}`,
      hint: 'Give the folder lab render --target kubevirt wrote (or the Secret lab-keys mounted as tester.yaml does).',
    });
  for (const f of files.filter((f) => resolve(f.from) !== resolve(f.to))) {
    makeDir(dirname(f.to));
    copyFileSync(f.from, f.to);
    chmodSync(f.to, f.mode);
  }
}

function checkKeys(paths: LabPaths, nodes: readonly string[]): void {
  const missing = [paths.sshKey, ...nodes.map((n) => nodePaths(paths.root, n).hostPub)].filter((f) => !existsSync(f));
  if (missing.length)
    throw new LabError({
      code: 'USAGE',
      message: `lab up --target kubevirt reaches the VMs with the keys lab render made, and ${missing.join(', ')} is not there`,
      hint: 'Give --keys DIR: the folder lab render --target kubevirt wrote.',
    });
}

export async function attachLab(lab: Lab, reporter: Reporter, o: AttachOptions): Promise<UpResult> {
  const ctx = openContext(lab, reporter, o.addresses);
  const { paths } = ctx.session;
  const vms = lab.nodes.map((n) => n.name);
  return withLock(paths.lock, 'up', async () => {
    ensureStateFolder(paths);
    if (o.keys) copyKeys(o.keys, paths, vms);
    checkKeys(paths, vms);
    const previous = ctx.state();
    const state = previous ?? { ...newState(lab, paths), target: 'kubevirt' as const };
    const down: Lab['nodes'] = [];
    for (const node of lab.nodes) if (!(await ctx.of(node.kind).isUp(node, state.nodes[node.name]))) down.push(node);
    if (previous && netnsExists(paths.netns) && !down.length) return upResult(ctx, state, true);

    return transaction(async (undo, checkpoint) => {
      await reporter.step(`build l2probe into ${nativeBuildDir()}`, () =>
        buildNative(() => reporter.note('another lab command is building the native apps; waiting for it'), 'probe'),
      );
      checkpoint();
      if (!netnsExists(paths.netns)) {
        await reporter.step(`name this pod's network namespace ${paths.netns}`, () => nameOwnNetns(paths.netns));
        undo.push(`remove the name ${paths.netns}`, () => deleteNetns(paths.netns));
        state.namedNetns = true;
      } else if (!isOwnNetns(paths.netns))
        throw new LabError({
          code: 'STATE',
          message: `namespace ${paths.netns} exists and is not the one lab runs in`,
          hint: `On a cluster the tester pod's own namespace is the lab namespace. On this host, run it inside that namespace: ip netns exec ${paths.netns} lab up --target kubevirt …`,
        });
      const set = await reporter.step("the tester's interfaces, as Multus named them", () =>
        adoptTesterEnds(ctx.wires),
      );
      if (set.length) reporter.note(`  addresses: ${set.join(', ')}`);
      checkpoint();
      const found = await Promise.allSettled(
        down.map(async (node) => {
          state.nodes[node.name] = await ctx.of(node.kind).up(node, state, undo);
        }),
      );
      const failed = found.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      checkpoint();
      ctx.saveState(state);
      return upResult(ctx, state, false);
    });
  });
}
