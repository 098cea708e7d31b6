// Waiting for a booted QEMU node to be ready: SSH with the pinned host key, then cloud-init done
// (stopping at its first failure), then the guest's own view of each data-plane NIC.
import { readFileSync } from 'node:fs';
import type { Client } from 'ssh2';
import type { Node } from '../../config/lab.js';
import { LabError } from '../../errors.js';
import { sshDownload, sshExec, sshRun, waitForSsh, type SshEndpoint } from '../../guest/ssh.js';
import { isAlive, type ProcRef } from '../../host/process.js';
import { waitFor } from '../../host/wait.js';
import { GUEST, type LabPaths, type NodePaths } from '../../layout.js';
import type { Reporter } from '../../progress.js';
import { serialTail } from './boot.js';
import type { GuestNic } from './record.js';
import { CloudInitProgress } from './cloud-init-progress.js';
import { seal, sealIndex } from '../../image/seal.js';
import { dirname } from 'node:path';

/** Under TCG a boot takes tens of seconds and cloud-init builds the apps: generous, but finite. */
const SSH_TIMEOUT_MS = 600_000;
const CLOUD_INIT_TIMEOUT_MS = 1_800_000;
/** Building DPDK from a release tarball under TCG takes tens of minutes for a few drivers, hours for all of them. */
export const CLOUD_INIT_BUILD_TIMEOUT_MS = 4 * 3_600_000;
const POLL_TIMEOUT_MS = 60_000;

export function endpoint(lab: LabPaths, node: NodePaths, port: number): SshEndpoint {
  return {
    netns: lab.netns,
    port,
    user: GUEST.user,
    privateKey: readFileSync(lab.sshKey, 'utf8'),
    hostKey: readFileSync(node.hostPub, 'utf8'),
  };
}

export async function waitSsh(
  ep: SshEndpoint,
  paths: NodePaths,
  ref: ProcRef,
  reporter: Reporter,
  timeoutMs = SSH_TIMEOUT_MS,
): Promise<Client> {
  try {
    return await waitForSsh(ep, timeoutMs, (last) => {
      if (!isAlive(ref))
        throw new LabError({
          code: 'PROCESS',
          message: 'QEMU exited while lab waited for SSH',
          hint: serialTail(paths),
        });
      reporter.progress(`${last}; serial: ${serialTail(paths, 1).slice(0, 100)}`);
    });
  } catch (err) {
    if (err instanceof LabError)
      throw new LabError(
        err.problems.map((p) => ({
          ...p,
          hint: `${p.hint ? `${p.hint}\n` : ''}last lines of the serial console (${paths.serial}):\n${serialTail(paths)}`,
        })),
      );
    throw err;
  }
}

/** Polls cloud-init, showing what it is doing (its stage, its last line, a build's count), and stops at the first sign of failure. */
export async function waitCloudInit(
  conn: Client,
  reporter: Reporter,
  timeoutMs = CLOUD_INIT_TIMEOUT_MS,
): Promise<void> {
  const progress = new CloudInitProgress();
  let status = '';
  const done = await waitFor(
    async () => {
      // A guest busy building (two VMs under TCG on two CPUs) can take long to answer one poll: that is
      // no failure, only the overall deadline is.
      const polled = await sshExec(conn, 'cloud-init status --long', POLL_TIMEOUT_MS).catch((err: unknown) => {
        if (err instanceof LabError && err.problems[0]?.code === 'TIMEOUT') return undefined;
        throw err;
      });
      if (!polled) return false;
      status = polled.stdout;
      const state = /^status: (\w+)/m.exec(status)?.[1] ?? 'unknown';
      if (state === 'done') return true;
      if (state === 'error' || state === 'degraded') {
        const log = await sshExec(conn, `sudo tail -n 25 ${GUEST.cloudInitLog}`, 30_000);
        throw new LabError({
          code: 'PROCESS',
          message: `cloud-init failed in the guest (status: ${state})`,
          hint: `${status.trim()}\n--- ${GUEST.cloudInitLog} ---\n${log.stdout.trim()}`,
        });
      }
      const last = (await sshExec(conn, `sudo tail -n 1 ${GUEST.cloudInitLog} 2>/dev/null`, 30_000)).stdout.trim();
      reporter.progress(progress.line(status, last));
      return false;
    },
    { timeoutMs, everyMs: 3000 },
  );
  if (!done)
    throw new LabError({
      code: 'TIMEOUT',
      message: `cloud-init did not finish within ${timeoutMs / 1000} s`,
      hint: status,
    });
}

/** A restored guest's clock is the snapshot's: set it to now, so nothing in it believes time stood still (or hours passed). */
export async function setGuestClock(conn: Client): Promise<void> {
  await sshRun(conn, `sudo date -u -s @${(Date.now() / 1000).toFixed(3)} >/dev/null`);
}

/** The guest's own view of each data-plane NIC, found by MAC: its name and its channels (ethtool -l). */
export async function guestNics(conn: Client, node: Node): Promise<GuestNic[]> {
  const links = JSON.parse(await sshRun(conn, 'ip -j link show')) as Array<{ ifname: string; address?: string }>;
  const out: GuestNic[] = [];
  for (const nic of node.nics) {
    const link = links.find((l) => l.address?.toLowerCase() === nic.mac);
    if (!link)
      throw new LabError({
        code: 'PROCESS',
        message: `the guest has no interface with MAC ${nic.mac} (${node.name}.${nic.name})`,
        hint: links.map((l) => `${l.ifname} ${l.address ?? ''}`).join('\n'),
      });
    const channels = await sshRun(conn, `/usr/sbin/ethtool -l ${link.ifname}`);
    const [max, current] = channels.split(/Current hardware settings:/);
    const combined = (text = '') => Number(/Combined:\s+(\d+)/.exec(text)?.[1] ?? 0);
    out.push({
      name: nic.name,
      mac: nic.mac,
      ifname: link.ifname,
      combined: combined(current),
      maxCombined: combined(max),
    });
  }
  return out;
}

/** Where lab-install-dpdk leaves the DPDK it built from a release tarball (a tar of the installed files). */
const GUEST_DPDK_BUILD = '/var/cache/lab/dpdk-build.tar';

/** Keeps the guest's DPDK build in the host's cache, when the guest built one; returns whether it did. */
export async function collectDpdkBuild(conn: Client, file: string): Promise<boolean> {
  const built = await sshExec(conn, `test -f ${GUEST_DPDK_BUILD}`);
  if (built.code !== 0) return false;
  await sshDownload(conn, GUEST_DPDK_BUILD, file);
  await seal(sealIndex(dirname(file)), [file]);
  return true;
}
