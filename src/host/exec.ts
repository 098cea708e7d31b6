// Running host commands: one place that knows how, with a deadline and an error that says what failed.
import { $, type ProcessOutput } from 'zx';
import { LabError, type ErrorCode } from '../errors.js';

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
  let out: ProcessOutput;
  try {
    out = await p;
  } catch (err) {
    out = err as ProcessOutput;
  }
  return { argv, exitCode: out.exitCode, signal: out.signal, stdout: out.stdout, stderr: out.stderr, ms: Date.now() - started };
}

/** Runs a command and raises a LabError naming the command and its last stderr lines when it fails. */
export async function run(argv: string[], opts: RunOptions & { code?: ErrorCode; what?: string } = {}): Promise<RunResult> {
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
