// File writes that never leave a half-written file behind and never write through a link someone
// planted: a new file of a name no one can guess (O_CREAT|O_EXCL, which follows no link), synced to
// disk, then renamed over the target (rename replaces a link, never follows it). Folders made one
// level at a time, and lab's own folders checked to be its own.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { LabError, type ErrorCode } from '../errors.js';

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync never returns under /proc (it spins at
 * 100 % CPU on a path the kernel will not create), and a plain loop says which level failed.
 */
export function makeDir(path: string, mode = 0o755, code: ErrorCode = 'ENV_HOST'): void {
  const parts = resolve(path).split(sep).filter(Boolean);
  let at = '';
  for (const part of parts) {
    at = `${at}${sep}${part}`;
    let why: string | undefined;
    try {
      mkdirSync(at, { mode });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'EEXIST')
        why = `${e.code ?? 'error'}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, mkdir .*$/, '')}`;
      else if (!statSync(at).isDirectory()) why = 'a file of that name is in the way';
    }
    if (why)
      throw new LabError({
        code,
        message: `cannot create the folder ${at} (${why})`,
        hint: `Choose a folder this user can create and write: ${path} cannot be made.`,
      });
  }
}

/**
 * A folder lab keeps to itself (a lab's state, the host's locks): made owner-only if missing, and
 * refused when it is a link or belongs to another user, who could otherwise plant links in it that
 * root would then write through or signal from.
 */
export function ownFolder(path: string, mode = 0o700): void {
  makeDir(dirname(path));
  try {
    mkdirSync(path, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(path);
  const uid = process.getuid?.() ?? 0;
  const why = st.isSymbolicLink()
    ? 'is a symbolic link'
    : !st.isDirectory()
      ? 'is not a folder'
      : st.uid !== uid
        ? `belongs to uid ${st.uid}, not to this user (uid ${uid})`
        : undefined;
  if (why) {
    throw new LabError({
      code: 'STATE',
      message: `${path} ${why}: lab keeps its own files there and will not write through it`,
      hint: `Remove ${path} (after checking what it is), then run the command again.`,
    });
  }
  if ((st.mode & 0o777) !== mode) chmodSync(path, mode);
}

export function writeAtomic(path: string, content: string | Buffer, mode = 0o644): void {
  makeDir(dirname(path));
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' || e.code === 'ENOSPC')
      throw new LabError({
        code: 'ENV_HOST',
        message: `cannot write ${path} (${e.code})`,
        hint:
          e.code === 'ENOSPC'
            ? 'Free some space on that file system.'
            : `This user (uid ${process.getuid?.() ?? '?'}) may not write there: run as the folder's owner, or choose another folder (lab render --out DIR).`,
      });
    throw err;
  }
}

/** Appends to a file (a CI job summary), creating it if missing, but never through a link. */
export function appendNoFollow(path: string, content: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, Buffer.from(content));
  } finally {
    closeSync(fd);
  }
}

/** What lab reads of a log that something else writes (an app, a guest's console): its start and its end. */
export const LOG_HEAD_BYTES = 64 * 1024;
export const LOG_TAIL_BYTES = 1024 * 1024;

/**
 * A log, read with a bound: whole when small, else its first 64 KiB (where an app's ready line is)
 * and its last MiB (its latest counters), so a log that grows without end costs the same to poll.
 * '' when there is none yet.
 */
export function readBounded(path: string, head = LOG_HEAD_BYTES, tail = LOG_TAIL_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const read = (from: number, length: number) => {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, readSync(fd, buf, 0, length, from)).toString('utf8');
    };
    if (size <= head + tail) return read(0, size);
    return `${read(0, head)}\n… (${size - head - tail} bytes not read) …\n${read(size - tail, tail)}`;
  } finally {
    closeSync(fd);
  }
}
