// Processes lab started and later signals: always by the PID it started, checked against the
// process's start time so a recycled PID is never signalled.
import { existsSync, readFileSync } from 'node:fs';
import { waitFor } from './wait.js';

export interface ProcRef {
  pid: number;
  /** /proc/PID/stat field 22: when the process started, in clock ticks since boot. */
  startTime: string;
}

/** The fields of /proc/PID/stat after the command name (which may hold spaces): state first. */
export function statFields(text: string): string[] {
  return text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
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

/**
 * The process a pidfile names, for one lab has no record of (a run killed before it wrote one).
 * Only if that process names this pidfile on its command line: a stale pidfile's PID may belong to
 * anything by now.
 */
export function pidFileProcess(pidfile: string): ProcRef | undefined {
  if (!existsSync(pidfile)) return undefined;
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  return argv.includes(pidfile) ? procRef(pid) : undefined;
}

export function procRef(pid: number, text = stat(pid)): ProcRef | undefined {
  return text ? { pid, startTime: statFields(text)[19]! } : undefined;
}

/** Running, the same process we started, and not a zombie. */
export function isAlive(ref: ProcRef): boolean {
  return statMatches(stat(ref.pid), ref);
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

/** A process that can be signalled and watched, here or in a guest. */
export interface Stoppable {
  /** Sends the signal; false when the process was not running. */
  signal(sig: NodeJS.Signals): Promise<boolean>;
  alive(): Promise<boolean>;
}

export type StopHow = 'gone' | 'exited' | 'killed';

/** The one way lab ends a process: SIGTERM, then SIGKILL once `graceMs` has passed. */
export async function stopLadder(p: Stoppable, graceMs = 10_000): Promise<StopHow> {
  if (!(await p.signal('SIGTERM'))) return 'gone';
  const gone = async () => !(await p.alive());
  if (await waitFor(gone, { timeoutMs: graceMs })) return 'exited';
  await p.signal('SIGKILL');
  await waitFor(gone, { timeoutMs: 5_000 });
  return 'killed';
}

/** A process of this host, by the ref lab recorded. */
export function local(ref: ProcRef): Stoppable {
  return { signal: async (sig) => signal(ref, sig), alive: async () => isAlive(ref) };
}

export function terminate(ref: ProcRef, graceMs?: number): Promise<StopHow> {
  return stopLadder(local(ref), graceMs);
}
