// Errors are values: a code, a message a person can act on, and where known the spec location.
// Every command reports them in one place (cli.ts) and exits with the code's class.

export type ErrorCode =
  | 'SPEC_FILE'
  | 'SPEC_YAML'
  | 'SPEC_SCHEMA'
  | 'SPEC_SEMANTIC'
  /** A warning, never an error: the spec says a word of lab 0.1 that has a new name. */
  | 'SPEC_OLD_WORD'
  | 'USAGE'
  | 'ENV_TOOL'
  | 'ENV_ACCEL'
  | 'ENV_HOST'
  | 'STATE'
  | 'PROCESS'
  | 'TIMEOUT'
  | 'INTERRUPTED'
  | 'VERIFY_FAILED';

export interface Location {
  file: string;
  line: number;
  col: number;
}

export interface Problem {
  code: ErrorCode;
  message: string;
  /** The spec field, as a path like nodes.dut.nics[0].queues. */
  path?: string;
  location?: Location;
  /** What to do about it, when there is something better to say than the message. */
  hint?: string;
}

/** Exit codes, as documented: 1 verification failed, 2 usage or spec, 3 environment, 4 timeout. */
export const EXIT = { ok: 0, verify: 1, usage: 2, env: 3, timeout: 4, interrupted: 130 } as const;

const EXIT_OF: Record<ErrorCode, number> = {
  SPEC_FILE: EXIT.usage,
  SPEC_YAML: EXIT.usage,
  SPEC_SCHEMA: EXIT.usage,
  SPEC_SEMANTIC: EXIT.usage,
  SPEC_OLD_WORD: EXIT.usage,
  USAGE: EXIT.usage,
  ENV_TOOL: EXIT.env,
  ENV_ACCEL: EXIT.env,
  ENV_HOST: EXIT.env,
  STATE: EXIT.env,
  PROCESS: EXIT.env,
  TIMEOUT: EXIT.timeout,
  INTERRUPTED: EXIT.interrupted,
  VERIFY_FAILED: EXIT.verify,
};

export class LabError extends Error {
  readonly problems: Problem[];
  /**
   * The command already printed a result that says what failed (a verification report, doctor's
   * table): under --json the error must not add a second document to stdout.
   */
  readonly printed: boolean;

  constructor(problems: Problem | Problem[], options: { printed?: boolean } = {}) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map(formatProblem).join('\n'));
    this.name = 'LabError';
    this.problems = list;
    this.printed = options.printed ?? false;
  }

  get exitCode(): number {
    return Math.max(...this.problems.map((p) => EXIT_OF[p.code]));
  }
}

export function fail(code: ErrorCode, message: string, extra: Omit<Problem, 'code' | 'message'> = {}): never {
  throw new LabError({ code, message, ...extra });
}

export function formatProblem(p: Problem): string {
  const where = p.location ? `${p.location.file}:${p.location.line}:${p.location.col}: ` : '';
  const field = p.path ? `${p.path}: ` : '';
  const hint = p.hint ? `\n    ${printable(p.hint).replace(/\n/g, '\n    ')}` : '';
  return printable(`${where}${field}${p.message}`) + hint;
}

/**
 * Text from a guest, a log or a spec made safe for a terminal: colour and cursor sequences dropped,
 * every other control character (a bell, a carriage return that hides a line, an OSC title) shown
 * as an escape instead of acted on. Newlines and tabs stay.
 */
export function printable(text: string): string {
  return text
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The candidate nearest a typo (at most two edits away), for a "did you mean" hint. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    const d = distance(word, name);
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
