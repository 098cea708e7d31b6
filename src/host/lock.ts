// One command at a time per lab: a lock file holding the owner's PID, taken stale when that PID is gone.
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { LabError } from '../errors.js';
import { isAlive, procRef } from './process.js';

function owner(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function tryTake(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o644);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export async function withLock<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  if (!tryTake(path)) {
    const pid = owner(path);
    const ref = pid === undefined ? undefined : procRef(pid);
    if (ref && isAlive(ref) && pid !== process.pid) {
      throw new LabError({ code: 'STATE', message: `another lab command (pid ${pid}) is working on this lab`, hint: `Wait for it, or if it is stuck, stop it: kill ${pid}.` });
    }
    rmSync(path, { force: true }); // its owner is gone
    if (!tryTake(path)) throw new LabError({ code: 'STATE', message: `cannot take the lab lock ${path} for ${what}` });
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
