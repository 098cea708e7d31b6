// lab down: take every node down with its apps, remove the lab namespace; keep the image cache.
// Works from the spec and the state together, so a crashed or half-made lab is cleaned up as well
// as a running one, and so is a node the spec no longer names but the state still records.
// With a node's name, only that node goes, with its wires' ends in the lab namespace.
import { rmSync } from 'node:fs';
import { findNode, type Lab } from '../config/lab.js';
import { openContext } from '../nodes/registry.js';
import { withLock } from '../host/lock.js';
import { LabError } from '../errors.js';
import { deleteNetns, linkNames, netnsExists, runPlan } from '../host/netns.js';
import { checkOwner, releaseName } from '../host/owner.js';
import { quiet } from '../progress.js';
import type { AppRecord, NodeRecord } from '../state/store.js';
import { removeWires } from '../wires/registry.js';

export interface DownResult {
  lab: string;
  removed: string[];
  purged: boolean;
}

/**
 * Which interfaces in the lab namespace are a node's wires' ends: as its record says lab up named
 * them, else as the spec names them now; a 0.1 state's node has neither but its names were all
 * <node>-<nic>, with no "-" in a node's name.
 */
function interfacesOf(node: string, lab: Lab, record: NodeRecord | undefined): (ifname: string) => boolean {
  const named = record?.interfaces ?? (record ? undefined : findNode(lab, node)?.nics.map((n) => n.labnsIf));
  if (named) {
    const set = new Set(Object.values(named));
    return (ifname) => set.has(ifname);
  }
  return (ifname) => ifname.startsWith(`${node}-`);
}

export async function labDown(lab: Lab, purge: boolean, only?: string): Promise<DownResult> {
  const ctx = openContext(lab, quiet);
  const { paths } = ctx.session;
  const claim = { owner: paths.owner, root: paths.root, name: lab.name };
  // On a cluster lab made nothing but, perhaps, the namespace's name: the VMs, the pod's interfaces
  // and the wires are the cluster's, and no name on this host was claimed.
  const onCluster = lab.target === 'kubevirt';
  return withLock(paths.lock, 'down', async () => {
    if (!onCluster) checkOwner(claim, 'down');
    const state = ctx.state();
    const appsOn = (node: string) =>
      Object.fromEntries(Object.entries(state?.apps ?? {}).filter(([, a]) => a.node === node)) as Record<
        string,
        AppRecord
      >;
    const nodes = [
      ...lab.nodes.map((node) => ({ name: node.name, kind: node.kind })),
      ...Object.entries(state?.nodes ?? {})
        .filter(([name]) => !lab.nodes.some((node) => node.name === name))
        .map(([name, r]) => ({ name, kind: r.kind })),
    ];
    const removed: string[] = [];
    if (only !== undefined) {
      const node = nodes.find((n) => n.name === only);
      if (!node)
        throw new LabError({
          code: 'USAGE',
          message: `lab ${lab.name} has no node "${only}"`,
          hint: `Its nodes: ${nodes.map((n) => n.name).join(', ')}.`,
        });
      removed.push(...(await ctx.of(node.kind).down(node, state?.nodes[node.name], appsOn(node.name))));
      if (!onCluster && netnsExists(paths.netns)) {
        const mine = interfacesOf(only, lab, state?.nodes[only]);
        for (const ifname of (await linkNames(paths.netns)).filter(mine)) {
          await runPlan([['ip', '-n', paths.netns, 'link', 'del', ifname]]);
          removed.push(`interface ${ifname}`);
        }
      }
      if (state) {
        delete state.nodes[only];
        for (const app of Object.keys(appsOn(only))) delete state.apps[app];
        ctx.saveState(state);
      }
      return { lab: lab.name, removed, purged: false };
    }
    // Wires, then nodes: a relay keeps the lab namespace alive after ip netns delete, with every interface in it.
    if (!onCluster) removed.push(...(await removeWires(paths)));
    for (const node of nodes)
      removed.push(...(await ctx.of(node.kind).down(node, state?.nodes[node.name], appsOn(node.name))));
    if (netnsExists(paths.netns) && (!onCluster || state?.namedNetns)) {
      await deleteNetns(paths.netns);
      removed.push(onCluster ? `the name ${paths.netns}` : `namespace ${paths.netns}`);
    }
    rmSync(paths.state, { force: true });
    if (!onCluster) releaseName(claim);
    if (purge) rmSync(paths.root, { recursive: true, force: true });
    return { lab: lab.name, removed, purged: purge };
  });
}
