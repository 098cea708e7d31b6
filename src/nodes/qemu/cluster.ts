// A QEMU node on a KubeVirt cluster, seen from the tester pod (lab up --target kubevirt): the cluster
// starts and stops the VM; lab reaches it over SSH at its name under the lab's headless Service,
// with the keys lab render made, and drives its apps and checks as it does those of a VM of its own.
import { readFileSync } from 'node:fs';
import type { Node } from '../../config/lab.js';
import { LabError } from '../../errors.js';
import { sshAddress, sshConnect, waitForSsh, type SshEndpoint } from '../../guest/ssh.js';
import { stopApp } from '../../apps/runner.js';
import { clusterGuestAddress, GUEST, guestAppLog, nodePaths } from '../../layout.js';
import type { NodeRecord } from '../../state/store.js';
import type { GuestAddress, LabSession, NodeDriver } from '../node.js';
import { openQemuAppHost, openQemuTester, type ReachedGuest } from './apps.js';
import { VmFileWriter } from './files.js';
import { guestNics, waitCloudInit } from './provision.js';
import type { GuestNic } from './record.js';
import { guestShellArgv } from './shell.js';

/** A cluster VM may wait for its node, its image pull and its boot before it answers. */
const CLUSTER_SSH_TIMEOUT_MS = 1_800_000;
/** How long lab status and a second lab up give a VM that answered before. */
const ANSWER_TIMEOUT_MS = 10_000;

export interface ClusterVmRecord extends NodeRecord {
  cluster: GuestAddress & { nics: GuestNic[] };
}

function clusterOf(record: NodeRecord | undefined): ClusterVmRecord['cluster'] | undefined {
  return (record as ClusterVmRecord | undefined)?.cluster;
}

export function clusterVmDriver(session: LabSession): NodeDriver {
  const { lab, paths, reporter } = session;
  const files = new VmFileWriter(session);

  const endpoint = (node: Pick<Node, 'name'>, address: GuestAddress): SshEndpoint => ({
    netns: paths.netns,
    ...address,
    user: GUEST.user,
    privateKey: readFileSync(paths.sshKey, 'utf8'),
    hostKey: readFileSync(nodePaths(paths.root, node.name).hostPub, 'utf8'),
  });

  const reached = (node: Node, record: NodeRecord | undefined): ReachedGuest => {
    const c = clusterOf(record);
    if (!c)
      throw new LabError({
        code: 'STATE',
        message: `node ${node.name} is not attached`,
        hint: 'Run `lab up --target kubevirt` first: it finds the cluster VMs over SSH.',
      });
    return { endpoint: endpoint(node, c), nics: c.nics };
  };

  const answers = async (node: Node, record: NodeRecord | undefined): Promise<boolean> => {
    const c = clusterOf(record);
    if (!c) return false;
    try {
      (await sshConnect(endpoint(node, c), ANSWER_TIMEOUT_MS)).end();
      return true;
    } catch {
      return false;
    }
  };

  const shell = (node: Node, record: NodeRecord | undefined, command: string[]): string[] => {
    const c = clusterOf(record);
    if (!c) return refuse(`node ${node.name} is not attached`, 'Run `lab up --target kubevirt` first.');
    return guestShellArgv(paths, nodePaths(paths.root, node.name).hostPub, c, command);
  };

  const refuse = (what: string, instead: string): never => {
    throw new LabError({
      code: 'USAGE',
      message: `on a KubeVirt cluster, ${what}: the cluster runs the VM, not lab`,
      hint: instead,
    });
  };

  return {
    kind: 'qemu',
    bootsImage: false,
    logSources: ['cloud-init'],
    appLogPath: guestAppLog,

    render: async () => undefined,

    clusterGuest: (node, root) => files.clusterGuest(node, root),

    isUp: answers,

    hostMemoryMiB: () => 0,

    async up(node) {
      const address = session.addresses?.[node.name] ?? clusterGuestAddress(node.name);
      const ep = endpoint(node, address);
      const conn = await reporter.step(
        `${node.name}: wait for SSH (${sshAddress(ep)} from ${paths.netns}, pinned host key)`,
        () =>
          // waitForSsh's own error (a timeout, or a host key other than the pinned one), with where to look on the cluster.
          waitForSsh(ep, CLUSTER_SSH_TIMEOUT_MS, (last) => reporter.progress(last)).catch((err: unknown) => {
            if (!(err instanceof LabError)) throw err;
            const hint = `Is VM ${node.name} running (kubectl get vmi ${node.name}), and does the lab's headless Service name it? \`virtctl console ${node.name}\` shows its boot.`;
            throw new LabError(err.problems.map((p) => ({ ...p, hint: p.hint ? `${p.hint}\n${hint}` : hint })));
          }),
      );
      try {
        await reporter.step(`${node.name}: wait for cloud-init (DPDK and the apps)`, () =>
          waitCloudInit(conn, reporter),
        );
        const nics = await reporter.step(`${node.name}: read the guest's NICs (ethtool -l)`, () =>
          guestNics(conn, node),
        );
        const record: ClusterVmRecord = {
          kind: 'qemu',
          startedAt: new Date().toISOString(),
          cluster: { ...address, nics },
        };
        return record;
      } finally {
        conn.end();
      }
    },

    async down(node, record, apps) {
      const c = clusterOf(record);
      const spec = lab.nodes.find((n) => n.name === node.name);
      if (!c || !spec || !Object.keys(apps).length) return [];
      // The VM stays, as the cluster runs it; its apps stop and its NICs go back to its kernel.
      const host = await openQemuAppHost(lab, spec, { endpoint: endpoint(node, c), nics: c.nics });
      try {
        const removed: string[] = [];
        for (const [name, app] of Object.entries(apps)) {
          const { how } = await stopApp({ target: host.target, ref: app.proc, log: app.log });
          if (how !== 'gone') removed.push(`app ${name} (pid ${app.proc.pid} in ${node.name}, ${how})`);
          for (const nic of spec.nics.filter((n) => (app.nics ?? [app.nic]).includes(n.name))) await host.give(nic);
        }
        return removed;
      } finally {
        host.close();
      }
    },

    reset: async () =>
      refuse(
        'lab reset cannot restart a VM from its snapshot',
        '`virtctl restart NODE`, then `lab up --target kubevirt` again.',
      ),

    async status(node, record) {
      if (!clusterOf(record)) return { state: 'stopped' };
      return { state: (await answers(node, record)) ? 'running' : 'broken' };
    },

    facts(_node, record) {
      const c = clusterOf(record);
      if (!c) return { netns: paths.netns };
      return {
        netns: paths.netns,
        address: `${c.host}:${c.port}`,
        guestNics: c.nics.map((n) => ({ name: n.name, ifname: n.ifname, combined: n.combined })),
      };
    },

    linkEnd: () => undefined,

    openAppHost: async (node, record) => openQemuAppHost(lab, node, reached(node, record)),

    openTester: async (node, record) => openQemuTester(node, reached(node, record)),

    shellArgv: shell,

    logArgv(node, record, log, follow) {
      const file = 'file' in log ? log.file : log.source === 'cloud-init' ? GUEST.cloudInitLog : undefined;
      if (!file)
        return refuse(
          `node ${node.name}'s ${'source' in log ? log.source : ''} log is the cluster's`,
          `\`virtctl console ${node.name}\` shows its serial console.`,
        );
      return shell(node, record, ['sudo', follow ? 'tail -n +1 -F' : 'cat', file]);
    },

    evidence(node, record) {
      if (!clusterOf(record)) return [];
      return [
        {
          file: 'cloud-init-output.log',
          what: 'what cloud-init printed while provisioning',
          argv: shell(node, record, ['sudo', 'cat', GUEST.cloudInitLog]),
        },
        { file: 'dmesg.log', what: "the guest kernel's messages", argv: shell(node, record, ['sudo', 'dmesg']) },
      ];
    },
  };
}
