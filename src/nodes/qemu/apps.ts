// Apps in a QEMU node, over one SSH connection: the NIC found by MAC and bound to vfio-pci or
// uio_pci_generic in the guest, the app started detached there, its PID watched through the
// guest's /proc with the same start-time discipline as on the host.
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { Client } from 'ssh2';
import { appArgs, appProgram, numberPorts, type AppLaunch } from '../../apps/command.js';
import type { AppTarget } from '../../apps/target.js';
import type { App, Lab, Nic, Node } from '../../config/lab.js';
import { LabError } from '../../errors.js';
import { sshConnect, sshExec, sshRun, sshUpload, type SshEndpoint } from '../../guest/ssh.js';
import type { Exec } from '../../host/exec.js';
import { procRef, statMatches, type ProcRef } from '../../host/process.js';
import { dpdkFilePrefix, GUEST } from '../../layout.js';
import { shellCommand, shellQuote } from '../../render/shell.js';
import type { AppHost, Taken, TesterHost } from '../node.js';
import type { GuestNic } from './record.js';
import { LOG_HEAD_BYTES, LOG_TAIL_BYTES } from '../../host/files.js';

/** The NICs bound to vfio-pci or uio_pci_generic (`pcis[i]` is `nics[i]`'s), on the hugepages lab reserved. */
export function vmAppArgv(
  lab: Pick<Lab, 'name'>,
  app: App,
  nics: Array<Pick<Nic, 'name' | 'queues'>>,
  pcis: string[],
): AppLaunch {
  const ports = numberPorts(nics, pcis, true);
  const argv = [
    appProgram(app, GUEST.nativeBuild),
    '-l',
    app.lcoreList,
    ...pcis.flatMap((pci) => ['-a', pci]),
    '--file-prefix',
    dpdkFilePrefix(lab.name, app.name),
    ...app.eal_args,
    '--',
    ...appArgs(app, nics, ports),
  ];
  return { argv, ports };
}

/** A command run as root in the guest, over the node's SSH connection. */
function rootExec(conn: Client): Exec {
  return async (argv, timeoutMs) => {
    const r = await sshExec(conn, `sudo ${shellCommand(argv)}`, timeoutMs);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code };
  };
}

export function sshTarget(conn: Client, node: string): AppTarget {
  const stat = async (pid: number) => {
    const r = await sshExec(conn, `cat /proc/${pid}/stat 2>/dev/null`, 30_000);
    return r.code === 0 ? r.stdout : undefined;
  };
  const alive = async (ref: ProcRef) => statMatches(await stat(ref.pid), ref);
  return {
    where: `node ${node}`,
    exec: rootExec(conn),
    telemetryQuery: `${GUEST.nativeBuild}/telemetry_query`,
    appBuildRoot: GUEST.appBuilds,
    // Written as the SSH user into a folder of its own, then moved into root's by root.
    put: async (dir, files) => {
      const staging = `/tmp/lab-put-${randomBytes(6).toString('hex')}`;
      try {
        const folders = [staging, ...files.map((f) => dirname(`${staging}/${f.path}`))];
        await sshRun(conn, `mkdir -p ${[...new Set(folders)].map(shellQuote).join(' ')}`);
        await sshUpload(conn, staging, files);
        await sshRun(
          conn,
          `sudo mkdir -p ${shellQuote(dirname(dir))} && sudo mv ${shellQuote(staging)} ${shellQuote(dir)}`,
        );
      } finally {
        await sshExec(conn, `rm -rf ${shellQuote(staging)}`);
      }
    },
    start: async (argv, log) => {
      // setsid execs the app in place, so $! is the app's own PID.
      // The log is readable by the SSH user, so reading it (polled while the app starts) needs no sudo, which costs about 0.3 s a call under TCG.
      const line = `mkdir -p ${shellQuote(dirname(log))} && : > ${shellQuote(log)} && chmod 0644 ${shellQuote(log)} && (setsid ${argv.map(shellQuote).join(' ')} > ${shellQuote(log)} 2>&1 < /dev/null & echo $!)`;
      const pid = Number((await sshRun(conn, `sudo sh -c ${shellQuote(line)}`)).trim());
      const ref = procRef(pid, await stat(pid));
      if (!ref)
        throw new LabError({
          code: 'PROCESS',
          message: `${argv[0]} exited at once in node ${node}`,
          hint: (await sshExec(conn, `sudo tail -n 12 ${shellQuote(log)}`)).stdout,
        });
      return ref;
    },
    // Bounded as on the host (readBounded): the start, where the ready line is, and the end.
    readLog: async (log) => (await sshExec(conn, boundedCat(log), 30_000)).stdout,
    alive,
    signal: async (ref, sig) =>
      (await alive(ref)) && (await sshExec(conn, `sudo kill -${sig.replace('SIG', '')} ${ref.pid}`, 30_000)).code === 0,
  };
}

/** A guest log read as readBounded reads one here: whole when small, else its first 64 KiB and its last MiB. */
function boundedCat(log: string): string {
  const f = shellQuote(log);
  const [head, tail] = [LOG_HEAD_BYTES, LOG_TAIL_BYTES];
  return `s=$(stat -c %s ${f} 2>/dev/null) || exit 0; if [ "$s" -le ${head + tail} ]; then cat ${f}; else head -c ${head} ${f}; printf '\\n… (%s bytes not read) …\\n' $((s - ${head + tail})); tail -c ${tail} ${f}; fi`;
}

/** A running guest as its apps and checks reach it: over SSH, with its NICs as its kernel names them. */
export interface ReachedGuest {
  endpoint: SshEndpoint;
  nics: GuestNic[];
}

/** The guest as the tester: ping and l2probe run as root over SSH, on the NIC the guest's kernel keeps. */
export async function openQemuTester(node: Node, guest: ReachedGuest): Promise<TesterHost> {
  const conn = await sshConnect(guest.endpoint);
  return {
    exec: rootExec(conn),
    l2probe: `${GUEST.nativeBuild}/l2probe`,
    ifname: (nic) => {
      const g = guest.nics.find((n) => n.name === nic.name);
      if (!g)
        throw new LabError({
          code: 'STATE',
          message: `node ${node.name} has no record of its NIC ${nic.name} in the guest`,
          hint: 'Run `lab down` and `lab up` again.',
        });
      return g.ifname;
    },
    close: () => conn.end(),
  };
}

export async function openQemuAppHost(lab: Pick<Lab, 'name'>, node: Node, guest: ReachedGuest): Promise<AppHost> {
  const conn = await sshConnect(guest.endpoint);
  const labNic = `sudo ${GUEST.bin}/lab-nic`;
  return {
    target: sshTarget(conn, node.name),
    take: async (nic) => {
      await sshRun(conn, `sudo ${GUEST.bin}/lab-hugepages`, 120_000);
      return JSON.parse(
        await sshRun(conn, `${labNic} take ${nic.mac} ${shellQuote(nic.os_driver_for_dpdk)}`, 120_000),
      ) as Taken;
    },
    give: async (nic) => void (await sshRun(conn, `${labNic} give ${nic.mac}`, 120_000)),
    launch: (app, nics, taken) => {
      const pcis = taken.map((t, i) => {
        if (!t.pci)
          throw new LabError({
            code: 'PROCESS',
            message: `lab-nic took ${node.name}.${nics[i]!.name} but named no PCI function for DPDK`,
          });
        return t.pci;
      });
      return vmAppArgv(lab, app, nics, pcis);
    },
    close: () => conn.end(),
  };
}
