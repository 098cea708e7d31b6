// The user QEMU runs as once it has opened its disks, sockets and taps (-runas): a system user of
// its own, no login and no home, so a guest that breaks out of QEMU finds no root and no files.
import { LabError } from '../errors.js';
import { run, runQuiet } from './exec.js';

export const QEMU_USER = 'lab-qemu';

/** Whom QEMU should drop to: the dedicated user when lab runs as root; else QEMU runs as lab's own user already. */
export function qemuRunAs(): string | undefined {
  return process.getuid?.() === 0 ? QEMU_USER : undefined;
}

export async function qemuUserExists(): Promise<boolean> {
  return (await runQuiet(['id', '-u', QEMU_USER])).exitCode === 0;
}

/** lab doctor --fix: the system user, made once. */
export async function createQemuUser(): Promise<void> {
  if (await qemuUserExists()) return;
  await run(
    [
      'useradd',
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      '--comment',
      'QEMU under lab',
      QEMU_USER,
    ],
    { code: 'ENV_TOOL', what: `creating the user ${QEMU_USER}` },
  );
}

/** Before a VM starts as root: the user it will run as must exist. */
export async function requireQemuUser(): Promise<string | undefined> {
  const user = qemuRunAs();
  if (user && !(await qemuUserExists())) {
    throw new LabError({
      code: 'ENV_TOOL',
      message: `the user ${user} that QEMU runs as (not root) does not exist on this host`,
      hint: 'Run `npx lab doctor --fix` (as root) once: it creates it, a system user with no login and no home.',
    });
  }
  return user;
}
