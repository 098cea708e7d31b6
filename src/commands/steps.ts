// The terminal's Reporter, on stderr (stdout stays clean for --json). Each step says what it does
// and then how long it took; the timings are kept for the command's result. While steps run:
// - on a terminal, one line per running step (each node's own, when nodes start in parallel),
//   rewritten in place with its time so far and its latest progress (log-update);
// - anywhere else (a CI log, a pipe), plain lines: a step's progress at most every few seconds, and
//   a line at least every HEARTBEAT_MS whatever the work says, so a log never goes quiet for minutes.
import { AsyncLocalStorage } from 'node:async_hooks';
import { styleText } from 'node:util';
import { createLogUpdate } from 'log-update';
import type { Reporter } from '../progress.js';

export interface StepTiming {
  step: string;
  ms: number;
}

interface Running {
  label: string;
  started: number;
  progress?: string;
}

/** The longest a plain log goes without a line while a step runs (issue: at most 15 s). */
export const HEARTBEAT_MS = 10_000;
/** How often a step's own progress is printed as a plain line. */
const PROGRESS_EVERY_MS = 5_000;
const FRAME_MS = 200;

export interface StepsOptions {
  silent?: boolean;
  /** Where the lines go; stderr by default. */
  stream?: NodeJS.WriteStream;
  /** Rewrite lines in place: by default when the stream is a terminal with a size (and TERM is not dumb). */
  live?: boolean;
}

export class Steps implements Reporter {
  readonly timings: StepTiming[] = [];
  private readonly running: Running[] = [];
  private readonly current = new AsyncLocalStorage<Running>();
  private readonly stream: NodeJS.WriteStream;
  private readonly silent: boolean;
  private readonly live?: ReturnType<typeof createLogUpdate>;
  private readonly color: boolean;
  private lastLine = Date.now();
  private lastProgress = 0;
  private timer?: NodeJS.Timeout;

  constructor(options: StepsOptions | boolean = {}) {
    const o = typeof options === 'boolean' ? { silent: options } : options;
    this.silent = Boolean(o.silent);
    this.stream = o.stream ?? process.stderr;
    // A terminal of no size (a pty nobody sized) would show nothing rewritten: plain lines there.
    const sized = (this.stream.rows ?? 0) > 0 && (this.stream.columns ?? 0) > 0;
    const live = o.live ?? (Boolean(this.stream.isTTY) && sized && process.env.TERM !== 'dumb');
    if (live && !this.silent) this.live = createLogUpdate(this.stream);
    this.color = live && !process.env.NO_COLOR && (this.stream.hasColors?.() ?? false);
  }

  async step<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const entry: Running = { label, started: Date.now() };
    this.running.push(entry);
    if (!this.live) this.line(`→ ${label} …`);
    this.tick();
    try {
      const result = await this.current.run(entry, fn);
      const ms = Date.now() - entry.started;
      this.timings.push({ step: label, ms });
      this.end(entry, `${this.paint('green', '✓')} ${label} (${seconds(ms)})`);
      return result;
    } catch (err) {
      this.end(entry, `${this.paint('red', '✗')} ${label} (${seconds(Date.now() - entry.started)})`);
      throw err;
    }
  }

  note(message: string): void {
    this.line(message);
  }

  progress(message: string): void {
    const entry = this.current.getStore();
    if (!entry) return;
    entry.progress = message;
    if (this.live) return this.render();
    if (Date.now() - this.lastProgress >= PROGRESS_EVERY_MS) this.plainProgress(entry);
  }

  private end(entry: Running, line: string): void {
    this.running.splice(this.running.indexOf(entry), 1);
    this.line(line);
    if (!this.running.length && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** A line that stays; on a terminal, above the running steps' lines. */
  private line(text: string): void {
    if (this.silent) return;
    this.lastLine = Date.now();
    if (this.live) {
      this.live.persist(text);
      this.render();
    } else this.stream.write(`${text}\n`);
  }

  private plainProgress(entry: Running): void {
    this.lastProgress = Date.now();
    this.line(`  … ${entry.label}: ${entry.progress ?? 'still running'} (${seconds(Date.now() - entry.started)})`);
  }

  /** Starts the clock that redraws a terminal, or keeps a plain log from going quiet. */
  private tick(): void {
    if (this.silent || this.timer) return;
    this.timer = setInterval(
      () => {
        if (this.live) return this.render();
        const innermost = this.running.at(-1);
        if (innermost && Date.now() - this.lastLine >= HEARTBEAT_MS) this.plainProgress(innermost);
      },
      this.live ? FRAME_MS : 1_000,
    );
    // Only the work keeps lab running, never its clock.
    this.timer.unref();
  }

  /** The running steps, innermost last, with their time so far and latest progress. */
  private render(): void {
    if (!this.live) return;
    if (!this.running.length) return this.live.clear();
    const now = Date.now();
    this.live(
      this.running
        .map(
          (r) =>
            `… ${r.label} ${this.paint('dim', `(${seconds(now - r.started)})${r.progress ? ` ${r.progress}` : ''}`)}`,
        )
        .join('\n'),
    );
  }

  private paint(style: 'green' | 'red' | 'dim', text: string): string {
    return this.color ? styleText(style, text, { validateStream: false }) : text;
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
