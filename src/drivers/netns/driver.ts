// A netns node, the VM-free tier: a network namespace on this host whose NICs are the far ends of
// veths from the lab namespace, with apps on DPDK's af_packet PMD. Same life cycle as a QEMU node.
import { join } from 'node:path';
import { NATIVE_BUILD } from '../../assets.js';
import { LabError } from '../../errors.js';
import { inNamespace } from '../../host/exec.js';
import { deleteNetns, linkExists, netnsExists, runPlan } from '../../host/netns.js';
import { terminate } from '../../host/process.js';
import { hostAppLog, nodeNamespace } from '../../layout.js';
import { namespaceCommands, netnsNicCommands } from '../../render/hostnet.js';
import type { NodeRecord } from '../../state/store.js';
import type { LabSession, NodeDriver } from '../node.js';
import { hostFileLogArgv } from '../logs.js';
import { openNetnsAppHost } from './apps.js';

interface NetnsRecord extends NodeRecord {
  /** The namespace holding the node's end of each wire. */
  netns: string;
}

export function netnsDriver(session: LabSession): NodeDriver {
  const { lab, paths } = session;
  const ns = (vm: { name: string }) => nodeNamespace(lab.name, vm.name);
  // A NIC on its own wire or a bridge has its far end in the lab namespace. A veth-linked NIC is the link's, which lab up makes when it is missing.
  const isUp: NodeDriver['isUp'] = async (vm) =>
    netnsExists(ns(vm)) &&
    (
      await Promise.all(vm.nics.filter((n) => n.wire.kind !== 'veth').map((n) => linkExists(paths.netns, n.hostIf)))
    ).every(Boolean);

  return {
    kind: 'netns',
    bootsImage: false,
    logSources: [],
    // The node is a namespace on this host: no console, guest kernel or command line of its own.
    evidence: () => [],
    appLogPath: (app) => hostAppLog(paths, app),

    // Nothing to render: a namespace and its veths are made by commands, not files.
    render: async () => undefined,

    isUp,

    async up(vm, _state, undo) {
      const vmNs = ns(vm);
      const own = vm.nics.filter((n) => n.wire.kind !== 'veth');
      await session.reporter.step(
        `start ${vm.name}: namespace ${vmNs}${own.length ? `, veth ${own.map((n) => `${n.name} ×${n.queues}q`).join(', ')}` : ''}`,
        async () => {
          await deleteNetns(vmNs); // a half-made one from an interrupted run
          await runPlan(namespaceCommands(vmNs));
          // Deleting the namespace removes the veths too, both ends.
          undo.push(`remove namespace ${vmNs}`, () => deleteNetns(vmNs));
          for (const nic of own) await runPlan(netnsNicCommands(paths.netns, vmNs, nic));
        },
      );
      const record: NetnsRecord = { driver: 'netns', startedAt: new Date().toISOString(), netns: vmNs };
      return record;
    },

    // Its apps stopped and its NICs given back to the kernel, a namespace is as lab up made it.
    reset: async (_vm, record) => record,

    async down(vm, _record, apps) {
      const removed: string[] = [];
      // Its apps are processes of this host: they outlive the namespace unless stopped.
      for (const [name, app] of Object.entries(apps)) {
        const how = await terminate(app.proc);
        if (how !== 'gone') removed.push(`app ${name} (pid ${app.proc.pid}, ${how})`);
      }
      if (netnsExists(ns(vm))) {
        await deleteNetns(ns(vm));
        removed.push(`namespace ${ns(vm)}`);
      }
      return removed;
    },

    async status(vm, record) {
      if (await isUp(vm, record)) return { state: 'running' };
      // Recorded as up but with parts missing: broken, and lab down clears it.
      return { state: record ? 'broken' : 'stopped' };
    },

    facts: (vm) => ({ netns: ns(vm) }),

    openAppHost: async (vm) => openNetnsAppHost(session, vm),

    openTester: async (vm) => ({
      exec: inNamespace(ns(vm)),
      l2probe: join(NATIVE_BUILD, 'l2probe'),
      ifname: (nic) => nic.name,
      close: () => undefined,
    }),

    linkEnd: (vm) => ns(vm),

    // A namespace costs nothing to speak of; its apps run without hugepages in 256 MiB each, taken when they start.
    hostMemoryMiB: () => 0,

    shellArgv: (vm, _record, command) => {
      if (!netnsExists(ns(vm)))
        throw new LabError({ code: 'STATE', message: `vm ${vm.name} is not running`, hint: 'Run `lab up` first.' });
      return ['ip', 'netns', 'exec', ns(vm), ...(command.length ? command : [process.env.SHELL || '/bin/sh'])];
    },

    logArgv: (vm, _record, log, follow) => {
      if (!('file' in log))
        throw new LabError({
          code: 'USAGE',
          message: `vm ${vm.name} is a netns node: it has no "${log.source}" log, only its apps' logs`,
        });
      return hostFileLogArgv(log.file, follow);
    },
  };
}
