// A QEMU node: a VM booted from an overlay of the lab's guest image, its data-plane NICs virtio-net
// with mq=on over multiqueue taps in the lab namespace, provisioned by cloud-init, reached over SSH.
import { existsSync, statSync } from 'node:fs';
import type { Node } from '../../config/lab.js';
import { LabError } from '../../errors.js';
import { isInterrupt } from '../../host/interrupt.js';
import { isAlive, pidFileProcess, type ProcRef } from '../../host/process.js';
import { Undo } from '../../host/undo.js';
import { GUEST, guestAppLog, nodePaths, type NodePaths } from '../../layout.js';
import type { LabState, NodeRecord } from '../../state/store.js';
import { hostFileLogArgv } from '../logs.js';
import type { LabSession, LogRef, NodeDriver } from '../node.js';
import { openQemuAppHost, openQemuTester, type ReachedGuest } from './apps.js';
import { createDisks, createSeed, createTaps, qemuPidFile, startQemu, stopQemu } from './boot.js';
import { VmFileWriter, type VmFiles } from './files.js';
import {
  CLOUD_INIT_BUILD_TIMEOUT_MS,
  collectDpdkBuild,
  endpoint,
  guestNics,
  setGuestClock,
  waitCloudInit,
  waitSsh,
} from './provision.js';
import { qemuOf, sshPortFor, type GuestNic, type QemuRecord } from './record.js';
import { guestShellArgv } from './shell.js';
import { discardSnapshot, readSnapshot, restoreArgv, saveSnapshot, snapshotKey } from './snapshot.js';

/** A restored guest answers SSH at once; one that does not within this is not going to. */
const RESTORE_SSH_TIMEOUT_MS = 60_000;

export function qemuDriver(session: LabSession): NodeDriver {
  const { lab, paths, reporter } = session;
  const files = new VmFileWriter(session);
  // Ports given out in this command, so two nodes rendered before either is recorded never share one.
  const assigned = new Map<string, number>();
  const port = (node: string, state: LabState | undefined) => {
    const p = sshPortFor(node, state, assigned);
    assigned.set(node, p);
    return p;
  };

  const running = (node: Node, record: NodeRecord | undefined) => {
    const q = qemuOf(record);
    if (!q || !isAlive(q.proc))
      throw new LabError({
        code: 'STATE',
        message: `node ${node.name} is not running`,
        hint: 'Run `lab up` first (`lab status` shows what runs).',
      });
    return q;
  };

  /**
   * Starts QEMU from the provisioned snapshot, on taps it makes (lab up) or that are there (lab reset);
   * on failure undoes what it made, so a cold boot can start clean.
   */
  const restore = async (
    node: Node,
    vp: NodePaths,
    r: VmFiles,
    undo: Undo,
    makeTaps = true,
  ): Promise<{ proc: ProcRef; nics: GuestNic[] }> => {
    const own = new Undo();
    try {
      if (!existsSync(vp.seed)) await createSeed(vp);
      if (makeTaps)
        await reporter.step(
          `${node.name}: multiqueue taps ${node.nics.map((n) => `${n.labnsIf} (queues=${n.queues})`).join(', ')}`,
          () => createTaps(paths.netns, node, own),
        );
      const proc = await reporter.step(`${node.name}: start QEMU from the provisioned snapshot (-loadvm)`, () =>
        startQemu(paths.netns, restoreArgv(r.argv), vp, own),
      );
      const conn = await reporter.step(
        `${node.name}: wait for SSH (127.0.0.1:${r.sshPort} in ${paths.netns}, pinned host key)`,
        () => waitSsh(endpoint(paths, vp, r.sshPort), vp, proc, reporter, RESTORE_SSH_TIMEOUT_MS),
      );
      try {
        await setGuestClock(conn);
        const nics = await guestNics(conn, node);
        undo.push(`stop ${node.name} restored from its snapshot`, () => own.run());
        return { proc, nics };
      } finally {
        conn.end();
      }
    } catch (err) {
      await own.run();
      throw err;
    }
  };

  /** The running VM as its apps and checks reach it. */
  const reached = (node: Node, record: NodeRecord | undefined): ReachedGuest => {
    const q = running(node, record);
    return { endpoint: endpoint(paths, nodePaths(paths.root, node.name), q.sshPort), nics: q.nics };
  };

  const sshArgv = (node: Node, record: NodeRecord | undefined, command: string[]): string[] =>
    guestShellArgv(
      paths,
      nodePaths(paths.root, node.name).hostPub,
      { host: '127.0.0.1', port: running(node, record).sshPort },
      command,
    );

  return {
    kind: 'qemu',
    bootsImage: true,
    logSources: ['serial', 'cloud-init'],
    appLogPath: guestAppLog,

    async render(node, root, state) {
      const r = await files.write(node, root, port(node.name, state), { dryRun: true });
      return { node: node.name, accel: r.accel, sshPort: r.sshPort, files: r.files, argv: r.argv };
    },

    clusterGuest: (node, root) => files.clusterGuest(node, root),

    async isUp(_node, record) {
      const q = qemuOf(record);
      return q !== undefined && isAlive(q.proc);
    },

    async up(node, state, undo) {
      const vp = nodePaths(paths.root, node.name);
      // A lab up killed outright leaves its QEMU running with no record: its disk is not ours to replace.
      const orphan = qemuPidFile(vp);
      if (orphan && isAlive(orphan)) {
        throw new LabError({
          code: 'STATE',
          message: `a QEMU of node ${node.name} (pid ${orphan.pid}) still runs from an earlier lab up that did not finish; its disk and taps were left as they are`,
          hint: 'Run `lab down` to stop it and clean up what that run made, then `lab up`.',
        });
      }
      const r = await reporter.step(`${node.name}: render qemu.sh and the cloud-init seed`, () =>
        files.write(node, paths.root, port(node.name, state)),
      );
      reporter.note(`  ${node.name}: accelerator ${r.accel.accel} (${r.accel.reason})`);
      const startedAt = new Date().toISOString();
      const record = (proc: ProcRef, nics: GuestNic[]): QemuRecord => ({
        kind: 'qemu',
        startedAt,
        qemu: { proc, sshPort: r.sshPort, accel: r.accel.accel, accelReason: r.accel.reason, nics },
      });
      const image = session.image(node.arch);
      const key = snapshotKey({ argv: r.argv, sshPort: r.sshPort, image: image.dir, ...r.seed });
      const snapshot = readSnapshot(vp);
      if (snapshot?.key === key) {
        const restored = await restore(node, vp, r, undo).catch((err: unknown) => {
          if (isInterrupt(err)) throw err;
          reporter.note(
            `  ${node.name}: the provisioned snapshot did not restore, so it is discarded and the VM boots cold: ${(err as Error).message}`,
          );
          discardSnapshot(vp);
          return undefined;
        });
        if (restored) return record(restored.proc, restored.nics);
      } else if (snapshot) {
        reporter.note(
          `  ${node.name}: the provisioned snapshot was made from another image, QEMU command line, cloud-init seed or native sources: booting cold`,
        );
        discardSnapshot(vp);
      }
      await reporter.step(`${node.name}: disk overlay and cloud-init seed`, () => createDisks(vp, image, undo));
      await reporter.step(
        `${node.name}: multiqueue taps ${node.nics.map((n) => `${n.labnsIf} (queues=${n.queues})`).join(', ')}`,
        () => createTaps(paths.netns, node, undo),
      );
      const proc = await reporter.step(`${node.name}: start QEMU in ${paths.netns}`, () =>
        startQemu(paths.netns, r.argv, vp, undo),
      );
      const ep = endpoint(paths, vp, r.sshPort);
      const conn = await reporter.step(
        `${node.name}: wait for SSH (127.0.0.1:${ep.port} in ${paths.netns}, pinned host key)`,
        () => waitSsh(ep, vp, proc, reporter),
      );
      let nics: GuestNic[];
      try {
        const build = files.dpdkBuild(node.arch);
        const builds = build !== undefined && !existsSync(build.file);
        const building = builds
          ? `DPDK ${lab.dpdk.version} from its release tarball, then the apps`
          : build
            ? `DPDK ${lab.dpdk.version} from the host's build cache, then the apps`
            : 'the apps';
        await reporter.step(`${node.name}: wait for cloud-init (it builds ${building} in the guest)`, () =>
          waitCloudInit(conn, reporter, builds ? CLOUD_INIT_BUILD_TIMEOUT_MS : undefined),
        );
        if (builds) {
          const kept = await reporter.step(`${node.name}: keep the guest's DPDK build in the host cache`, () =>
            collectDpdkBuild(conn, build.file),
          );
          if (kept)
            reporter.note(
              `  ${node.name}: DPDK build cached as ${build.file}; the next lab with this tarball, build options and image installs it without building`,
            );
        }
        nics = await reporter.step(`${node.name}: read the guest's NICs (ethtool -l)`, () => guestNics(conn, node));
      } finally {
        // Before the snapshot: a restored guest would hold a TCP connection no one is at the other end of.
        conn.end();
      }
      await reporter.step(`${node.name}: save the provisioned snapshot (savevm, for the next lab up)`, () =>
        saveSnapshot(vp, key, nics),
      );
      return record(proc, nics);
    },

    async reset(node, record) {
      const q = running(node, record);
      const vp = nodePaths(paths.root, node.name);
      if (!readSnapshot(vp))
        throw new LabError({
          code: 'STATE',
          message: `node ${node.name} has no provisioned snapshot to return to`,
          hint: 'lab up saves one when it provisions a VM: run `lab down` then `lab up`.',
        });
      // A fresh QEMU from the snapshot, as lab up's warm start does: loadvm into the running QEMU
      // also loads the user-mode network's saved state over the live one, and SSH could hang there.
      const r = await files.write(node, paths.root, q.sshPort);
      await reporter.step(`${node.name}: stop QEMU (pid ${q.proc.pid})`, () => stopQemu(q.proc, vp));
      const restored = await restore(node, vp, r, new Undo(), false);
      return { ...record!, qemu: { ...q, proc: restored.proc, nics: restored.nics } } as QemuRecord;
    },

    async down(node, record) {
      const vp = nodePaths(paths.root, node.name);
      // The record, or for a half-made node the pidfile QEMU wrote. The node's apps die with it.
      const ref = qemuOf(record)?.proc ?? qemuPidFile(vp);
      if (!ref) return [];
      const how = await stopQemu(ref, vp);
      return how === 'gone' ? [] : [`QEMU of ${node.name} (pid ${ref.pid}, ${how})`];
    },

    async status(node, record) {
      const q = qemuOf(record);
      if (q) return { state: isAlive(q.proc) ? 'running' : 'crashed' };
      // A QEMU with no record: a lab up killed outright, before it could undo or record.
      const orphan = qemuPidFile(nodePaths(paths.root, node.name));
      return orphan && isAlive(orphan) ? { state: 'broken', pid: orphan.pid } : { state: 'stopped' };
    },

    facts(_node, record) {
      const q = qemuOf(record);
      if (!q) return { netns: paths.netns };
      return {
        netns: paths.netns,
        accel: q.accel,
        accelReason: q.accelReason,
        sshPort: q.sshPort,
        pid: q.proc.pid,
        guestNics: q.nics.map((n) => ({ name: n.name, ifname: n.ifname, combined: n.combined })),
      };
    },

    // The guest's RAM is QEMU's; QEMU's own few dozen MiB fit in what the kernel keeps spare.
    hostMemoryMiB: (node) => node.memoryMiB,

    // Its NIC is a tap in the lab namespace: a link to it is a bridge there (see wireLinks), never a veth end in a namespace of its own.
    linkEnd: () => undefined,

    openAppHost: async (node, record) => openQemuAppHost(lab, node, reached(node, record)),

    openTester: async (node, record) => openQemuTester(node, reached(node, record)),

    shellArgv: sshArgv,

    snapshot(node) {
      const vp = nodePaths(paths.root, node.name);
      const meta = readSnapshot(vp);
      if (!meta) return undefined;
      const qemu = pidFileProcess(vp.pid);
      return {
        file: vp.disk,
        bytes: statSync(vp.disk).size,
        savedAt: meta.savedAt,
        ...(qemu ? { runningPid: qemu.pid } : {}),
      };
    },

    discardSnapshot(node) {
      discardSnapshot(nodePaths(paths.root, node.name));
    },

    evidence(node, record) {
      const vp = nodePaths(paths.root, node.name);
      const running = qemuOf(record) !== undefined && isAlive(qemuOf(record)!.proc);
      return [
        {
          file: 'serial.log',
          what: 'the tail of the serial console',
          argv: hostFileLogArgv(vp.serial, false),
          lastLines: 300,
        },
        { file: 'qemu.sh', what: 'the rendered QEMU command line and the steps lab up took', copy: vp.script },
        ...(running
          ? [
              {
                file: 'cloud-init-output.log',
                what: 'what cloud-init printed while provisioning',
                argv: sshArgv(node, record, ['sudo', 'cat', GUEST.cloudInitLog]),
              },
              {
                file: 'dmesg.log',
                what: "the guest kernel's messages",
                argv: sshArgv(node, record, ['sudo', 'dmesg']),
              },
            ]
          : []),
      ];
    },

    logArgv(node, record, log: LogRef, follow) {
      const guestFile = (file: string) => sshArgv(node, record, ['sudo', follow ? 'tail -n +1 -F' : 'cat', file]);
      if ('file' in log) return guestFile(log.file);
      if (log.source === 'cloud-init') return guestFile(GUEST.cloudInitLog);
      if (log.source !== 'serial')
        throw new LabError({ code: 'USAGE', message: `node ${node.name} has no log "${log.source}"` });
      return hostFileLogArgv(nodePaths(paths.root, node.name).serial, follow);
    },
  };
}
