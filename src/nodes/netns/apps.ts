// Apps of a netns node: processes on this host inside the node's namespace, on DPDK's af_packet
// PMD over the veth, with no hugepages and no PCI scan.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { appArgs, appProgram, appQueues, numberPorts, type AppLaunch } from '../../apps/command.js';
import type { AppTarget } from '../../apps/target.js';
import { nativeBuildDir } from '../../host/native-build.js';
import type { App, Lab, Nic, Node } from '../../config/lab.js';
import { inNamespace, spawnDetached } from '../../host/exec.js';
import { netnsExists, runPlan } from '../../host/netns.js';
import { isAlive, signal } from '../../host/process.js';
import { dpdkFilePrefix, labCacheRoot, nodeNamespace } from '../../layout.js';
import { giveNicCommands, takeNicCommands } from '../../render/hostnet.js';
import type { AppHost, LabSession } from '../node.js';
import { makeDir, readBounded } from '../../host/files.js';

/**
 * Lcores are mapped explicitly onto the host's CPUs, so an app with more lcores than the host has
 * CPUs still runs (oversubscribed) instead of failing in EAL. qpairs gives af_packet one socket per
 * queue, joined in a fan-out group that spreads flows over them: the "backend" RSS.
 */
export function netnsAppArgv(
  lab: Pick<Lab, 'name'>,
  app: App,
  nics: Nic[],
  binDir: string,
  hostCpus: number,
): AppLaunch {
  const ids = Array.isArray(app.lcores) ? app.lcores : [];
  const vdevs = nics.map((nic, i) => `net_af_packet${i},iface=${nic.name},qpairs=${appQueues(app, nic)}`);
  const ports = numberPorts(nics, vdevs, false);
  const argv = [
    appProgram(app, binDir),
    '--lcores',
    ids.map((id) => `${id}@${id % hostCpus}`).join(','),
    '--no-huge',
    '-m',
    '256',
    '--no-pci',
    '--file-prefix',
    dpdkFilePrefix(lab.name, app.name),
    ...vdevs.flatMap((vdev) => ['--vdev', vdev]),
    ...app.eal_args,
    '--',
    ...appArgs(app, nics, ports),
  ];
  return { argv, ports };
}

/** A process on this host inside `netns`; `ip netns exec` execs the program, so the PID started is the app's own. */
export function namespaceTarget(netns: string, binDir: string): AppTarget {
  return {
    where: `namespace ${netns}`,
    exec: inNamespace(netns),
    telemetryQuery: join(binDir, 'telemetry_query'),
    appBuildRoot: join(labCacheRoot(), 'apps'),
    put: async (dir, files) => {
      for (const f of files) {
        makeDir(dirname(join(dir, f.path)));
        writeFileSync(join(dir, f.path), f.content, { mode: f.executable ? 0o755 : 0o644 });
      }
    },
    start: async (argv, log) => {
      makeDir(dirname(log));
      writeFileSync(log, '');
      return spawnDetached(['ip', 'netns', 'exec', netns, ...argv], log);
    },
    readLog: async (log) => readBounded(log),
    alive: async (ref) => isAlive(ref),
    signal: async (ref, sig) => signal(ref, sig),
  };
}

export function openNetnsAppHost(session: LabSession, node: Node): AppHost {
  const { lab } = session;
  const nodeNs = nodeNamespace(lab.name, node.name);
  return {
    target: namespaceTarget(nodeNs, nativeBuildDir()),
    // af_packet cannot detach the kernel's stack from a veth the way binding to vfio-pci detaches a
    // PCI NIC, so "taking" the NIC removes its kernel address: the kernel then answers nothing on it.
    take: async (nic) => {
      await runPlan(takeNicCommands(nodeNs, nic));
      return {};
    },
    give: async (nic) => {
      if (netnsExists(nodeNs)) await runPlan(giveNicCommands(nodeNs, nic));
    },
    launch: (app, nics) => netnsAppArgv(lab, app, nics, nativeBuildDir(), cpus().length),
    close: () => undefined,
  };
}
