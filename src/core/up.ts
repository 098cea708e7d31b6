// lab up: make every node of the lab exist and run; change nothing that already does.
import type { Lab, Node } from '../config/lab.js';
import { bootsImage, openContext, type LabContext } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { withLock } from '../host/lock.js';
import { buildNative, nativeBuildDir } from '../host/native-build.js';
import { claimName } from '../host/owner.js';
import { availableMemoryMiB } from '../host/memory.js';
import { deleteNetns, netnsExists, runPlan } from '../host/netns.js';
import { transaction } from '../host/undo.js';
import { ensureImage } from '../image/build.js';
import type { Reporter } from '../progress.js';
import { namespaceCommands } from '../render/hostnet.js';
import { ensureStateFolder, newState, type LabState } from '../state/store.js';
import { connectWires, pendingWires, prepareWires } from '../wires/registry.js';
import { upResult as result, type UpResult } from './summary.js';
import { attachLab, type AttachOptions } from './attach.js';

export type { UpResult };

/** The nodes that are not up: all of them when the lab namespace, where every wire ends, is gone. */
async function nodesDown(ctx: LabContext, state: LabState): Promise<Node[]> {
  const { lab, paths } = ctx.session;
  if (!netnsExists(paths.netns)) return lab.nodes;
  const down: Node[] = [];
  for (const node of lab.nodes) if (!(await ctx.of(node.kind).isUp(node, state.nodes[node.name]))) down.push(node);
  return down;
}

/** Before anything is made: the nodes to start must fit in the memory this host has available. */
function checkMemory(ctx: LabContext, down: Node[]): void {
  const needs = down.map((node) => ({ node, mib: ctx.of(node.kind).hostMemoryMiB(node) })).filter((x) => x.mib > 0);
  const total = needs.reduce((sum, x) => sum + x.mib, 0);
  const available = availableMemoryMiB();
  if (total <= available) return;
  throw new LabError({
    code: 'ENV_HOST',
    message: `the VMs to start need ${total} MiB of memory (${needs.map((x) => `${x.node.name} ${x.mib} MiB`).join(', ')}), but this host has ${available} MiB available`,
    hint: 'Lower nodes.<name>.memory, start fewer VMs, or free memory on this host. Nothing was created.',
  });
}

/** On a cluster (lab.target kubevirt) lab makes nothing: it finds the VMs the cluster runs (attach.ts). */
export async function labUp(lab: Lab, reporter: Reporter, o: AttachOptions = {}): Promise<UpResult> {
  if (lab.target === 'kubevirt') return attachLab(lab, reporter, o);
  const ctx = openContext(lab, reporter);
  const { paths } = ctx.session;
  return withLock(paths.lock, 'up', async () => {
    ensureStateFolder(paths);
    claimName({ owner: paths.owner, root: paths.root, name: lab.name });
    const previous = ctx.state();
    const state = previous ?? newState(lab, paths);
    const down = await nodesDown(ctx, state);
    if (previous && !down.length && !(await pendingWires(ctx.wires)).length) return result(ctx, state, true);
    checkMemory(ctx, down);

    return transaction(async (undo, checkpoint) => {
      // The host's build: the netns nodes' apps, and l2probe, which every lab's checks send with.
      await reporter.step(`build the native apps into ${nativeBuildDir()}`, () =>
        buildNative(() => reporter.note('another lab command is building the native apps; waiting for it')),
      );
      checkpoint();
      if (!netnsExists(paths.netns)) {
        await reporter.step(`create the lab namespace ${paths.netns}`, () => runPlan(namespaceCommands(paths.netns)));
        undo.push(`remove namespace ${paths.netns}`, () => deleteNetns(paths.netns));
      }
      // Before the nodes: what their NICs' far ends join as they start. The lab namespace's undo takes it.
      await prepareWires(ctx.wires);
      // One image per architecture among the nodes to start that boot lab's image.
      const images: NonNullable<UpResult['images']> = [];
      for (const arch of new Set(down.filter((n) => bootsImage(ctx, [n])).map((n) => n.arch))) {
        const plan = ctx.session.image(arch);
        const reused = await ensureImage(lab, plan, reporter);
        if (reused) reporter.note(`✓ guest image (${arch}) reused from the cache: ${plan.dir}`);
        images.push({ arch, dir: plan.dir, reused });
      }
      checkpoint();
      // In parallel, so a lab takes as long as its slowest node, not the sum. Every start is waited
      // for before a failure is raised: no node may register an undo after the undo has run.
      const started = await Promise.allSettled(
        down.map(async (node) => {
          const record = await ctx.of(node.kind).up(node, state, undo);
          state.nodes[node.name] = {
            ...record,
            interfaces: Object.fromEntries(node.nics.map((n) => [n.name, n.labnsIf])),
          };
        }),
      );
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      checkpoint();
      // Nodes, then wires: a veth link's ends and a relay's ports are there only now. A node that
      // kept running keeps its far end in the lab namespace, wired again as the spec says now.
      await connectWires(ctx.wires, state, undo);
      checkpoint();
      ctx.saveState(state);
      return result(ctx, state, false, images);
    });
  });
}
