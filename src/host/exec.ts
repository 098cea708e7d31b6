// Every process lab starts goes through here: commands run to completion with zx (a deadline, and an
// error that names the command and its last lines), and the long-lived ones (an app left running,
// a terminal handed to ssh, a stream read as it comes) with node's spawn.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { $, type ProcessOutput } from 'zx';
import { LabError, type ErrorCode } from '../errors.js';
import { procRef, type ProcRef } from './process.js';

export interface RunResult {
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  /** Milliseconds before the command is killed and a TIMEOUT error raised. */
  timeoutMs?: number;
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each line of output as it comes (stdout and stderr alike), for progress; the result still has it all. */
  onLine?: (line: string) => void;
}

/** Runs a command and returns its result whatever the exit code. */
export async function runQuiet(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('runQuiet: empty argv');
  const started = Date.now();
  const p = $({
    quiet: true,
    nothrow: true,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
  })`${cmd} ${args}`;
  if (opts.onLine) for (const stream of [p.stdout, p.stderr]) eachLine(stream, opts.onLine);
  let out: ProcessOutput;
  try {
    out = await p;
  } catch (err) {
    out = err as ProcessOutput;
  }
  return {
    argv,
    exitCode: out.exitCode,
    signal: out.signal,
    stdout: out.stdout,
    stderr: out.stderr,
    ms: Date.now() - started,
  };
}

function eachLine(stream: Readable, onLine: (line: string) => void): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split(/\r?\n|\r/);
    rest = lines.pop() ?? '';
    for (const line of lines) if (line) onLine(line);
  });
  stream.on('end', () => rest && onLine(rest));
}

/** Runs a command and raises a LabError naming the command and its last stderr lines when it fails. */
export async function run(
  argv: string[],
  opts: RunOptions & { code?: ErrorCode; what?: string } = {},
): Promise<RunResult> {
  const result = await runQuiet(argv, opts);
  if (result.exitCode === 0) return result;
  const timedOut = opts.timeoutMs !== undefined && result.signal !== null && result.ms >= opts.timeoutMs;
  throw new LabError({
    code: timedOut ? 'TIMEOUT' : (opts.code ?? 'PROCESS'),
    message: `${opts.what ?? 'command'} failed: ${argv.join(' ')} ${timedOut ? `did not finish within ${opts.timeoutMs} ms` : `exited with ${result.exitCode ?? result.signal}`}`,
    hint: tail(result.stderr || result.stdout, 8),
  });
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function which(tool: string): Promise<string | undefined> {
  const r = await runQuiet(['sh', '-c', `command -v "$0"`, tool]);
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/** Starts a process in its own session with stdout and stderr appended to `log`; returns once it runs. */
export function spawnDetached(argv: string[], log: string): ProcRef {
  const fd = openSync(log, 'a', 0o644);
  try {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new LabError({ code: 'PROCESS', message: `could not start ${cmd}` });
    const ref = procRef(child.pid);
    if (!ref) throw new LabError({ code: 'PROCESS', message: `${cmd} exited at once; see ${log}` });
    return ref;
  } finally {
    closeSync(fd);
  }
}

/** Runs to completion with the terminal attached; resolves to the command's exit code. */
export function attach(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  error?: Error;
}

/** A process whose output is read as it comes, and that the caller ends. */
export interface Piped {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<Exit>;
  running(): boolean;
  kill(sig?: NodeJS.Signals): void;
}

export function spawnPiped(argv: string[]): Piped {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    exited,
    running: () => child.exitCode === null && child.signalCode === null && child.pid !== undefined,
    kill: (sig = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
  };
}

/** Runs a command somewhere (a namespace here, a guest over SSH) with its output and exit code; a non-zero exit is the caller's to judge. */
export type Exec = (
  argv: string[],
  timeoutMs: number,
) => Promise<{ stdout: string; stderr: string; exitCode: number | null }>;

/** Exec inside a network namespace of this host; `ip netns exec` execs the command, so its exit code is the command's. */
export function inNamespace(netns: string): Exec {
  return (argv, timeoutMs) => runQuiet(['ip', 'netns', 'exec', netns, ...argv], { timeoutMs });
}
