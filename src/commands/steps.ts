// The terminal's Reporter: each step of long work says what it is doing and how long it took, on
// stderr (stdout stays clean for --json), and the timings are kept for the command's result.
import type { Reporter } from '../progress.js';
import { progress } from './output.js';

export interface StepTiming {
  step: string;
  ms: number;
}

export class Steps implements Reporter {
  readonly timings: StepTiming[] = [];

  constructor(private readonly silent = false) {}

  async step<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.note(`→ ${label} …`);
    try {
      const result = await fn();
      const ms = Date.now() - started;
      this.timings.push({ step: label, ms });
      this.note(`✓ ${label} (${seconds(ms)})`);
      return result;
    } catch (err) {
      this.note(`✗ ${label} (${seconds(Date.now() - started)})`);
      throw err;
    }
  }

  note(message: string): void {
    if (!this.silent) progress(message);
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
