// The kernel's lock (flock(2)) on a file, held for as long as this process wants it. Node has no
// flock, so util-linux's flock holds it for us: it takes the lock, says so, and then waits on its
// standard input. When lab lets go, or dies in any way (even SIGKILL), that pipe closes, flock's
// child ends and the kernel drops the lock: no stale lock file is ever left to break.
import { dirname } from 'node:path';
import { LabError } from '../errors.js';
import { spawnPiped } from './exec.js';
import { ownFolder } from './files.js';

const HELD = 'held';
/** flock's exit code when the lock stayed taken (EX_TEMPFAIL), distinct from its own errors. */
const CONFLICT = 75;

export interface HeldLock {
  release(): Promise<void>;
}

export interface FlockOptions {
  /** Said once, when another process holds the lock and this one starts waiting for it. */
  onWait?: () => void;
  /** Runs the wait for the other holder: as a step of long work, say, so that progress shows it. */
  waiting?: <T>(wait: () => Promise<T>) => Promise<T>;
  /** How long to wait for the lock before giving up with a TIMEOUT error. */
  timeoutMs: number;
}

/**
 * Tries to take the lock, at once or within `timeoutMs`; undefined when another process kept it.
 * One shell holds it: it opens the file, has flock(1) lock that open file, and becomes `cat`, which
 * keeps it open until lab closes the pipe or dies. It ignores the terminal's signals (and so does
 * flock, started from it): Ctrl-C reaches the whole process group, and the lock must last until lab
 * has undone its work, not end with the keystroke.
 */
function attempt(path: string, wait: boolean, timeoutMs: number): Promise<HeldLock | undefined> {
  const mode = wait ? `--wait ${Math.ceil(timeoutMs / 1000)}` : '--nonblock';
  const holder = `trap '' INT TERM HUP; exec 9>>"$0" || exit 71; flock --exclusive ${mode} --conflict-exit-code ${CONFLICT} 9 || exit $?; echo ${HELD}; exec cat >/dev/null`;
  const child = spawnPiped(['sh', '-c', holder, path]);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const was = out;
      out += d.toString();
      if (was.startsWith(HELD) || !out.startsWith(HELD)) return;
      resolve({
        async release() {
          child.stdin.end();
          await child.exited;
        },
      });
    });
    void child.exited.then((exit) => {
      if (out.startsWith(HELD)) return;
      if (exit.code === CONFLICT) return resolve(undefined);
      reject(
        new LabError({
          code: 'ENV_TOOL',
          message: `flock could not lock ${path}`,
          hint: (exit.error?.message ?? err.trim()) || 'Is util-linux installed?',
        }),
      );
    });
  });
}

/** Holds an exclusive lock on `path` (created if missing) if no other process holds it; else undefined. */
export async function tryHoldLock(path: string): Promise<HeldLock | undefined> {
  ownFolder(dirname(path), 0o755);
  return attempt(path, false, 0);
}

/** Holds an exclusive lock on `path` (created if missing), waiting for another holder to let go. */
export async function holdLock(path: string, opts: FlockOptions): Promise<HeldLock> {
  const now = await tryHoldLock(path);
  if (now) return now;
  opts.onWait?.();
  const wait = () => attempt(path, true, opts.timeoutMs);
  const later = await (opts.waiting ? opts.waiting(wait) : wait());
  if (later) return later;
  throw new LabError({
    code: 'TIMEOUT',
    message: `${path} is still locked by another lab command after ${Math.round(opts.timeoutMs / 1000)} s`,
  });
}

/** Runs `fn` while holding the lock on `path`. */
export async function withHeldLock<T>(path: string, opts: FlockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await holdLock(path, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
