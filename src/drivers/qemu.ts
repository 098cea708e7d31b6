// A QEMU VM of the lab: boot it from an overlay of the cached image, inside the lab namespace so
// it can open the multiqueue taps, then wait until SSH answers and cloud-init has finished.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Client } from 'ssh2';
import { progress } from '../commands/output.js';
import { LabError } from '../errors.js';
import { run, runQuiet, tail } from '../host/exec.js';
import { throwIfInterrupted } from '../host/interrupt.js';
import { runPlan } from '../host/netns.js';
import { isAlive, procRef, signal, waitUntil, type ProcRef } from '../host/process.js';
import { Qmp } from '../host/qmp.js';
import type { Undo } from '../host/undo.js';
import type { ImagePlan } from '../image/recipe.js';
import type { VmPaths } from '../layout.js';
import { GUEST_USER } from '../render/cloud-init.js';
import { vmNetCommands } from '../render/hostnet.js';
import type { Vm } from '../config/lab.js';
import type { Steps } from '../commands/steps.js';
import { sshExec, sshRun, waitForSsh, type SshEndpoint } from '../guest/ssh.js';

/** Under TCG a boot takes tens of seconds and cloud-init builds the apps: generous, but finite. */
const SSH_TIMEOUT_MS = 600_000;
const CLOUD_INIT_TIMEOUT_MS = 1_800_000;

export function endpoint(paths: VmPaths, labKey: string, netns: string, port: number): SshEndpoint {
  return { netns, port, user: GUEST_USER, privateKey: readFileSync(labKey, 'utf8'), hostKey: readFileSync(paths.hostPub, 'utf8') };
}

export function serialTail(paths: VmPaths, lines = 15): string {
  try {
    // The serial log holds console control sequences; strip them for reading.
    return tail(readFileSync(paths.serial, 'utf8').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, ''), lines);
  } catch {
    return '(no serial output yet)';
  }
}

/** A fresh overlay on the cached base; the base is never written. */
export async function createDisks(paths: VmPaths, image: ImagePlan, undo: Undo): Promise<void> {
  rmSync(paths.disk, { force: true });
  rmSync(paths.seed, { force: true });
  // A VM that never came up leaves no disk that looks like one that did.
  undo.push('remove the disk overlay and cloud-init seed', async () => {
    rmSync(paths.disk, { force: true });
    rmSync(paths.seed, { force: true });
  });
  await run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', image.format, '-b', image.disk, paths.disk], { code: 'ENV_TOOL', what: 'creating the disk overlay' });
  await run(['cloud-localds', `--network-config=${paths.networkConfig}`, paths.seed, paths.userData, paths.metaData], { code: 'ENV_TOOL', what: 'writing the cloud-init seed' });
}

export async function createTaps(labNs: string, vm: Vm, undo: Undo): Promise<void> {
  for (const nic of vm.nics) {
    await runPlan(vmNetCommands(labNs, { ...vm, nics: [nic] }));
    undo.push(`remove tap ${nic.hostIf}`, async () => void (await runQuiet(['ip', '-n', labNs, 'link', 'del', nic.hostIf])));
  }
}

/** Starts QEMU daemonized inside the lab namespace; returns once its pidfile names a live process. */
export async function startQemu(labNs: string, argv: string[], paths: VmPaths, undo: Undo): Promise<ProcRef> {
  rmSync(paths.pid, { force: true });
  rmSync(paths.serial, { force: true });
  const r = await runQuiet(['ip', 'netns', 'exec', labNs, ...argv], { timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new LabError({ code: 'PROCESS', message: `QEMU did not start (exit ${r.exitCode ?? r.signal})`, hint: tail(r.stderr || r.stdout, 10) });
  const pid = Number(readFileSync(paths.pid, 'utf8').trim());
  const ref = procRef(pid);
  if (!ref || !isAlive(ref)) throw new LabError({ code: 'PROCESS', message: 'QEMU exited right after starting', hint: serialTail(paths) });
  undo.push(`stop QEMU (pid ${pid})`, async () => void (await stopQemu(ref, paths)));
  return ref;
}

/** QMP quit, then SIGTERM, then SIGKILL, each with a deadline. */
export async function stopQemu(ref: ProcRef, paths: VmPaths): Promise<'gone' | 'quit' | 'terminated' | 'killed'> {
  if (!isAlive(ref)) return 'gone';
  try {
    const qmp = await Qmp.open(paths.qmp, 3_000);
    await qmp.execute('quit').catch(() => undefined);
    qmp.close();
    if (await waitUntil(() => !isAlive(ref), 10_000)) return 'quit';
  } catch {
    // no monitor: fall through to signals
  }
  signal(ref, 'SIGTERM');
  if (await waitUntil(() => !isAlive(ref), 10_000)) return 'terminated';
  signal(ref, 'SIGKILL');
  await waitUntil(() => !isAlive(ref), 5_000);
  return 'killed';
}

export async function waitSsh(ep: SshEndpoint, paths: VmPaths, ref: ProcRef): Promise<Client> {
  try {
    return await waitForSsh(ep, SSH_TIMEOUT_MS, (last) => {
      if (!isAlive(ref)) throw new LabError({ code: 'PROCESS', message: 'QEMU exited while lab waited for SSH', hint: serialTail(paths) });
      progress(`  … still waiting for SSH (${last}); serial: ${serialTail(paths, 1)}`);
    });
  } catch (err) {
    if (err instanceof LabError) throw new LabError(err.problems.map((p) => ({ ...p, hint: `${p.hint ? `${p.hint}\n` : ''}last lines of the serial console (${paths.serial}):\n${serialTail(paths)}` })));
    throw err;
  }
}

/** Polls cloud-init, showing what it is doing, and stops at the first sign of failure. */
export async function waitCloudInit(conn: Client): Promise<void> {
  const deadline = Date.now() + CLOUD_INIT_TIMEOUT_MS;
  let shown = '';
  for (;;) {
    throwIfInterrupted();
    const status = (await sshExec(conn, 'cloud-init status --long', 30_000)).stdout;
    const state = /^status: (\w+)/m.exec(status)?.[1] ?? 'unknown';
    if (state === 'done') return;
    if (state === 'error' || state === 'degraded') {
      const log = await sshExec(conn, 'sudo tail -n 25 /var/log/cloud-init-output.log', 30_000);
      throw new LabError({ code: 'PROCESS', message: `cloud-init failed in the guest (status: ${state})`, hint: `${status.trim()}\n--- /var/log/cloud-init-output.log ---\n${log.stdout.trim()}` });
    }
    const last = (await sshExec(conn, 'sudo tail -n 1 /var/log/cloud-init-output.log 2>/dev/null', 30_000)).stdout.trim();
    if (last && last !== shown) {
      shown = last;
      progress(`  … cloud-init: ${last.slice(0, 160)}`);
    }
    if (Date.now() >= deadline) throw new LabError({ code: 'TIMEOUT', message: `cloud-init did not finish within ${CLOUD_INIT_TIMEOUT_MS / 1000} s`, hint: status });
    await new Promise((r) => setTimeout(r, 3000));
  }
}

export interface GuestNic {
  name: string;
  mac: string;
  ifname: string;
  combined: number;
  maxCombined: number;
}

/** The guest's own view of each data-plane NIC, found by MAC: its name and its channels (ethtool -l). */
export async function guestNics(conn: Client, vm: Vm): Promise<GuestNic[]> {
  const links = JSON.parse(await sshRun(conn, 'ip -j link show')) as Array<{ ifname: string; address?: string }>;
  const out: GuestNic[] = [];
  for (const nic of vm.nics) {
    const link = links.find((l) => l.address?.toLowerCase() === nic.mac);
    if (!link) throw new LabError({ code: 'PROCESS', message: `the guest has no interface with MAC ${nic.mac} (${vm.name}.${nic.name})`, hint: links.map((l) => `${l.ifname} ${l.address ?? ''}`).join('\n') });
    const channels = await sshRun(conn, `/usr/sbin/ethtool -l ${link.ifname}`);
    const [max, current] = channels.split(/Current hardware settings:/);
    const combined = (text = '') => Number(/Combined:\s+(\d+)/.exec(text)?.[1] ?? 0);
    out.push({ name: nic.name, mac: nic.mac, ifname: link.ifname, combined: combined(current), maxCombined: combined(max) });
  }
  return out;
}

/**
 * The QEMU a pidfile names, for a VM lab has no record of. Only if that process is this VM's QEMU
 * (its command line names this pidfile): a stale pidfile's PID may belong to anything by now.
 */
export function qemuPidFile(paths: VmPaths): ProcRef | undefined {
  if (!existsSync(paths.pid)) return undefined;
  const pid = Number(readFileSync(paths.pid, 'utf8').trim());
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  return argv.includes(paths.pid) ? procRef(pid) : undefined;
}


export interface QemuUp {
  proc: ProcRef;
  nics: GuestNic[];
}

/** Boots one VM whose files renderLabFiles wrote; everything it makes is registered with `undo`. */
export async function upQemuVm(vm: Vm, argv: string[], paths: VmPaths, image: ImagePlan, labNs: string, ep: SshEndpoint, undo: Undo, steps: Steps): Promise<QemuUp> {
  await steps.run(`${vm.name}: disk overlay and cloud-init seed`, () => createDisks(paths, image, undo));
  await steps.run(`${vm.name}: multiqueue taps ${vm.nics.map((n) => `${n.hostIf} (queues=${n.queues})`).join(', ')}`, () => createTaps(labNs, vm, undo));
  const proc = await steps.run(`${vm.name}: start QEMU in ${labNs}`, () => startQemu(labNs, argv, paths, undo));
  const conn = await steps.run(`${vm.name}: wait for SSH (127.0.0.1:${ep.port} in ${labNs}, pinned host key)`, () => waitSsh(ep, paths, proc));
  try {
    await steps.run(`${vm.name}: wait for cloud-init (DPDK and the apps are built in the guest)`, () => waitCloudInit(conn));
    const nics = await steps.run(`${vm.name}: read the guest's NICs (ethtool -l)`, () => guestNics(conn, vm));
    return { proc, nics };
  } finally {
    conn.end();
  }
}
