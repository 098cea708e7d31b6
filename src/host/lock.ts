// One command at a time per lab: the kernel's lock (flock.ts) on a file named for the lab, host-wide,
// so no two commands (nor two checkouts with a lab of the same name, whose namespaces and taps are
// host-wide too) ever own a lab at once. Nothing stale is left to break: the kernel lets go when the
// holder ends, however it ends. The holder writes its PID and verb into the file, only to say who
// holds it.
import { readFileSync, writeFileSync } from 'node:fs';
import { LabError } from '../errors.js';
import { tryHoldLock, type HeldLock } from './flock.js';

/** The locks this process holds, so that a verb inside another (lab test's up, run, …) takes it once. */
const held = new Map<string, { lock: HeldLock; depth: number }>();

function holder(path: string): string {
  try {
    const [pid, what] = readFileSync(path, 'utf8').trim().split(/\s+/);
    return pid ? `lab ${what ?? 'command'} (pid ${pid})` : 'another lab command';
  } catch {
    return 'another lab command';
  }
}

export async function withLock<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
  const mine = held.get(path);
  if (mine) {
    mine.depth++;
  } else {
    const lock = await tryHoldLock(path);
    if (!lock) {
      throw new LabError({
        code: 'STATE',
        message: `${holder(path)} is working on this lab`,
        hint: `Wait for it to finish, or stop that command (Ctrl-C in its terminal). The lock is ${path}; the kernel releases it when its holder ends.`,
      });
    }
    writeFileSync(path, `${process.pid} ${what}\n`);
    held.set(path, { lock, depth: 1 });
  }
  try {
    return await fn();
  } finally {
    const entry = held.get(path)!;
    if (--entry.depth === 0) {
      held.delete(path);
      await entry.lock.release();
    }
  }
}
