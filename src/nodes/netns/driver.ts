// A netns node, the VM-free tier: a network namespace on this host whose NICs are the far ends of
// veths from the lab namespace, with apps on DPDK's af_packet PMD. Same life cycle as a QEMU node.
import { join } from 'node:path';
import { labnsInterface } from '../../config/lab.js';
import { nativeBuildDir } from '../../host/native-build.js';
import { LabError } from '../../errors.js';
import { inNamespace } from '../../host/exec.js';
import { deleteNetns, linkExists, netnsExists, runPlan } from '../../host/netns.js';
import { terminate } from '../../host/process.js';
import { hostAppLog, nodeNamespace } from '../../layout.js';
import { namespaceCommands, netnsNicCommands } from '../../render/hostnet.js';
import { farEndCommands } from '../../wires/registry.js';
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
  const ns = (node: { name: string }) => nodeNamespace(lab.name, node.name);
  // A NIC on its own wire or a bridge has its far end in the lab namespace. A veth-linked NIC is the link's, which lab up makes when it is missing.
  const isUp: NodeDriver['isUp'] = async (node) =>
    netnsExists(ns(node)) &&
    (await Promise.all(node.nics.filter(labnsInterface).map((n) => linkExists(paths.netns, n.labnsIf)))).every(Boolean);

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

    async up(node, _state, undo) {
      const nodeNs = ns(node);
      const own = node.nics.filter(labnsInterface);
      await session.reporter.step(
        `start ${node.name}: namespace ${nodeNs}${own.length ? `, veth ${own.map((n) => `${n.name} ×${n.queues}q`).join(', ')}` : ''}`,
        async () => {
          await deleteNetns(nodeNs); // a half-made one from an interrupted run
          await runPlan(namespaceCommands(nodeNs));
          // Deleting the namespace removes the veths too, both ends.
          undo.push(`remove namespace ${nodeNs}`, () => deleteNetns(nodeNs));
          for (const nic of own)
            await runPlan([...netnsNicCommands(paths.netns, nodeNs, nic), ...farEndCommands(paths.netns, nic)]);
        },
      );
      const record: NetnsRecord = { kind: 'netns', startedAt: new Date().toISOString(), netns: nodeNs };
      return record;
    },

    // Its apps stopped and its NICs given back to the kernel, a namespace is as lab up made it.
    reset: async (_node, record) => record,

    async down(node, _record, apps) {
      const removed: string[] = [];
      // Its apps are processes of this host: they outlive the namespace unless stopped.
      for (const [name, app] of Object.entries(apps)) {
        const how = await terminate(app.proc);
        if (how !== 'gone') removed.push(`app ${name} (pid ${app.proc.pid}, ${how})`);
      }
      if (netnsExists(ns(node))) {
        await deleteNetns(ns(node));
        removed.push(`namespace ${ns(node)}`);
      }
      return removed;
    },

    async status(node, record) {
      if (await isUp(node, record)) return { state: 'running' };
      // Recorded as up but with parts missing: broken, and lab down clears it.
      return { state: record ? 'broken' : 'stopped' };
    },

    facts: (node) => ({ netns: ns(node) }),

    openAppHost: async (node) => openNetnsAppHost(session, node),

    openTester: async (node) => ({
      exec: inNamespace(ns(node)),
      l2probe: join(nativeBuildDir(), 'l2probe'),
      ifname: (nic) => nic.name,
      close: () => undefined,
    }),

    linkEnd: (node) => ns(node),

    // A namespace costs nothing to speak of; its apps run without hugepages in 256 MiB each, taken when they start.
    hostMemoryMiB: () => 0,

    shellArgv: (node, _record, command) => {
      if (!netnsExists(ns(node)))
        throw new LabError({ code: 'STATE', message: `node ${node.name} is not running`, hint: 'Run `lab up` first.' });
      return ['ip', 'netns', 'exec', ns(node), ...(command.length ? command : [process.env.SHELL || '/bin/sh'])];
    },

    logArgv: (node, _record, log, follow) => {
      if (!('file' in log))
        throw new LabError({
          code: 'USAGE',
          message: `node ${node.name} is a netns node: it has no "${log.source}" log, only its apps' logs`,
        });
      return hostFileLogArgv(log.file, follow);
    },
  };
}
