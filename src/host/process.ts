// Processes lab starts and later signals: always by the PID it started, checked against the
// process's start time so a recycled PID is never signalled.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { throwIfInterrupted } from './interrupt.js';

export interface ProcRef {
  pid: number;
  /** /proc/PID/stat field 22: when the process started, in clock ticks since boot. */
  startTime: string;
}

/** The fields of /proc/PID/stat after the command name (which may hold spaces): state first. */
export function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
}

/** Whether a /proc/PID/stat text is the process `ref` names, still running (not a zombie). */
export function statMatches(text: string | undefined, ref: ProcRef): boolean {
  if (!text) return false;
  const fields = statFields(text);
  return fields[19] === ref.startTime && fields[0] !== 'Z';
}

function stat(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
}

export function procRef(pid: number, text = stat(pid)): ProcRef | undefined {
  return text ? { pid, startTime: statFields(text)[19]! } : undefined;
}

/** Running, the same process we started, and not a zombie. */
export function isAlive(ref: ProcRef): boolean {
  return statMatches(stat(ref.pid), ref);
}

/** Starts a process in its own session with stdout and stderr appended to `log`; returns once it runs. */
export function spawnDetached(argv: string[], log: string): ProcRef {
  const fd = openSync(log, 'a', 0o644);
  try {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    const ref = procRef(child.pid);
    if (!ref) throw new Error(`${cmd} exited at once; see ${log}`);
    return ref;
  } finally {
    closeSync(fd);
  }
}

export function signal(ref: ProcRef, sig: NodeJS.Signals): boolean {
  if (!isAlive(ref)) return false;
  try {
    process.kill(ref.pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `check` holds or the deadline passes; an interrupt (Ctrl-C) ends the wait with an error. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    throwIfInterrupted();
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Returns how it ended. */
export async function terminate(ref: ProcRef, graceMs = 10_000): Promise<'gone' | 'exited' | 'killed'> {
  if (!signal(ref, 'SIGTERM')) return 'gone';
  if (await waitUntil(() => !isAlive(ref), graceMs)) return 'exited';
  signal(ref, 'SIGKILL');
  await waitUntil(() => !isAlive(ref), 5_000);
  return 'killed';
}
