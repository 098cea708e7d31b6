// A QEMU node's host side: its disk overlay and seed, its multiqueue taps, and its process, started
// daemonized inside the lab namespace (so it can open the taps) and stopped QMP-first.
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import type { Node } from '../../config/lab.js';
import { LabError, printable } from '../../errors.js';
import { run, runQuiet, tail } from '../../host/exec.js';
import { runPlan } from '../../host/netns.js';
import { isAlive, pidFileProcess, procRef, terminate, type ProcRef } from '../../host/process.js';
import { Qmp } from '../../host/qmp.js';
import { requireQemuUser } from '../../host/qemu-user.js';
import type { Undo } from '../../host/undo.js';
import { waitFor } from '../../host/wait.js';
import type { NodePaths } from '../../layout.js';
import { tapCommands } from '../../render/hostnet.js';
import { farEndCommands } from '../../wires/registry.js';
import type { BaseImage } from '../../render/vm.js';
import { readBounded } from '../../host/files.js';

export function serialTail(paths: NodePaths, lines = 15): string {
  try {
    // The serial log holds console control sequences; strip them for reading.
    const text = readBounded(paths.serial, 0, 64 * 1024);
    return text ? tail(printable(text.replace(/\r/g, '')), lines) : '(no serial output yet)';
  } catch {
    return '(no serial output yet)';
  }
}

/** A fresh overlay on the cached base; the base is never written. */
export async function createDisks(paths: NodePaths, image: BaseImage, undo: Undo): Promise<void> {
  const remove = () => {
    rmSync(paths.disk, { force: true });
    rmSync(paths.seed, { force: true });
  };
  remove();
  // A VM that never came up leaves no disk that looks like one that did.
  undo.push('remove the disk overlay and cloud-init seed', async () => remove());
  await run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', image.format, '-b', image.disk, paths.disk], {
    code: 'ENV_TOOL',
    what: 'creating the disk overlay',
  });
  // The overlay will hold the guest's saved RAM: the owner's alone, as the seed is.
  chmodSync(paths.disk, 0o600);
  await createSeed(paths);
}

/** The cloud-init seed from the rendered documents (a restored VM has the same devices attached as the one saved). */
export async function createSeed(paths: NodePaths): Promise<void> {
  await run(['cloud-localds', `--network-config=${paths.networkConfig}`, paths.seed, paths.userData, paths.metaData], {
    code: 'ENV_TOOL',
    what: 'writing the cloud-init seed',
  });
  // It holds the guest's SSH host private key.
  chmodSync(paths.seed, 0o600);
}

export async function createTaps(labNs: string, node: Node, undo: Undo): Promise<void> {
  const owner = await requireQemuUser();
  for (const nic of node.nics) {
    await runPlan([...tapCommands(labNs, nic, owner), ...farEndCommands(labNs, nic)]);
    undo.push(
      `remove tap ${nic.labnsIf}`,
      async () => void (await runQuiet(['ip', '-n', labNs, 'link', 'del', nic.labnsIf])),
    );
  }
}

/** Starts QEMU daemonized inside the lab namespace; returns once its pidfile names a live process. */
export async function startQemu(labNs: string, argv: string[], paths: NodePaths, undo: Undo): Promise<ProcRef> {
  rmSync(paths.pid, { force: true });
  rmSync(paths.serial, { force: true });
  const r = await runQuiet(['ip', 'netns', 'exec', labNs, ...argv], { timeoutMs: 60_000 });
  if (r.exitCode !== 0)
    throw new LabError({
      code: 'PROCESS',
      message: `QEMU did not start (exit ${r.exitCode ?? r.signal})`,
      hint: tail(r.stderr || r.stdout, 10),
    });
  const pid = Number(readFileSync(paths.pid, 'utf8').trim());
  const ref = procRef(pid);
  if (!ref || !isAlive(ref))
    throw new LabError({ code: 'PROCESS', message: 'QEMU exited right after starting', hint: serialTail(paths) });
  undo.push(`stop QEMU (pid ${pid})`, async () => void (await stopQemu(ref, paths)));
  return ref;
}

/**
 * QMP quit, which lets QEMU close its disks cleanly; then the one signal ladder. Then its socket and
 * pidfile go: QEMU, no longer root by then, cannot remove them from the owner-only state folder.
 */
export async function stopQemu(ref: ProcRef, paths: NodePaths): Promise<'gone' | 'quit' | 'terminated' | 'killed'> {
  try {
    return await stopQemuProcess(ref, paths);
  } finally {
    if (!isAlive(ref)) for (const left of [paths.qmp, paths.pid]) rmSync(left, { force: true });
  }
}

async function stopQemuProcess(ref: ProcRef, paths: NodePaths): Promise<'gone' | 'quit' | 'terminated' | 'killed'> {
  if (!isAlive(ref)) return 'gone';
  try {
    const qmp = await Qmp.open(paths.qmp, 3_000);
    // A wedged QEMU may take the command and never act on it: a short deadline, then signals.
    const took = await qmp.execute('quit', undefined, 5_000).then(
      () => true,
      () => false,
    );
    qmp.close();
    if (took && (await waitFor(() => !isAlive(ref), { timeoutMs: 10_000 }))) return 'quit';
  } catch {
    // no monitor: signals only
  }
  const how = await terminate(ref);
  return how === 'exited' ? 'terminated' : how;
}

/** The QEMU this VM's pidfile names, for a VM lab has no record of (see pidFileProcess). */
export function qemuPidFile(paths: NodePaths): ProcRef | undefined {
  return pidFileProcess(paths.pid);
}
