// The provisioned snapshot: once a VM's first lab up has finished (SSH answered, cloud-init done,
// NICs read), its whole running state, RAM and devices, is saved as a qcow2 internal snapshot in
// its own overlay (savevm; the seed is read-only and the base image never written). A later lab up
// of the same lab loads it (-loadvm) instead of booting and provisioning, as long as nothing it was
// made from has changed; lab reset restarts a running VM from it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { LabError } from '../../errors.js';
import { writeAtomic } from '../../host/files.js';
import { Qmp } from '../../host/qmp.js';
import type { NodePaths } from '../../layout.js';
import type { GuestNic } from './record.js';

export const SNAPSHOT_TAG = 'lab-provisioned';

export interface SnapshotMeta {
  key: string;
  tag: string;
  savedAt: string;
  saveMs: number;
  nics: GuestNic[];
}

export interface SnapshotSources {
  argv: string[];
  sshPort: number;
  /** The base image's cache folder, named by the hash of its recipe or download. */
  image: string;
  userData: string;
  metaData: string;
  networkConfig: string;
}

/**
 * What a snapshot was made from: the image, QEMU's argv with the SSH port left out (a VM may get
 * another port), and the seed documents (user-data carries the native sources the guest builds).
 */
export function snapshotKey(s: SnapshotSources): string {
  const forward = `hostfwd=tcp:127.0.0.1:${s.sshPort}-:22`;
  const argv = s.argv.map((a) => a.replace(forward, 'hostfwd=tcp:127.0.0.1:PORT-:22'));
  return createHash('sha256')
    .update(JSON.stringify({ ...s, argv, sshPort: undefined }))
    .digest('hex');
}

export function readSnapshot(paths: NodePaths): SnapshotMeta | undefined {
  if (!existsSync(paths.snapshot) || !existsSync(paths.disk)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.snapshot, 'utf8')) as SnapshotMeta;
  } catch {
    return undefined;
  }
}

/** Forgets a snapshot with the overlay that holds it: the next up boots cold. */
export function discardSnapshot(paths: NodePaths): void {
  rmSync(paths.snapshot, { force: true });
  rmSync(paths.disk, { force: true });
}

async function hmp(paths: NodePaths, command: string, timeoutMs: number): Promise<string> {
  const qmp = await Qmp.open(paths.qmp, 10_000);
  try {
    return await qmp.execute<string>('human-monitor-command', { 'command-line': command }, timeoutMs);
  } finally {
    qmp.close();
  }
}

/** Saves the running VM as the provisioned snapshot; QEMU pauses it while it writes, then runs on. */
export async function saveSnapshot(paths: NodePaths, key: string, nics: GuestNic[]): Promise<SnapshotMeta> {
  rmSync(paths.snapshot, { force: true });
  const started = Date.now();
  const said = await hmp(paths, `savevm ${SNAPSHOT_TAG}`, 300_000);
  // HMP answers a failure in words, not as a QMP error.
  if (said.trim())
    throw new LabError({ code: 'PROCESS', message: 'QEMU could not save the provisioned snapshot', hint: said.trim() });
  const listed = await hmp(paths, 'info snapshots', 30_000);
  if (!listed.includes(SNAPSHOT_TAG))
    throw new LabError({ code: 'PROCESS', message: 'QEMU saved no provisioned snapshot', hint: listed.trim() });
  const meta: SnapshotMeta = {
    key,
    tag: SNAPSHOT_TAG,
    savedAt: new Date().toISOString(),
    saveMs: Date.now() - started,
    nics,
  };
  writeAtomic(paths.snapshot, `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

/** Argv that starts QEMU from the snapshot instead of booting. */
export function restoreArgv(argv: string[]): string[] {
  return [...argv, '-loadvm', SNAPSHOT_TAG];
}
