// Progress for long work: each step says what it is doing and how long it took, on stderr.
import { progress } from './output.js';

export interface StepTiming {
  step: string;
  ms: number;
}

export class Steps {
  readonly timings: StepTiming[] = [];

  constructor(private readonly quiet = false) {}

  async run<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    if (!this.quiet) progress(`→ ${label} …`);
    try {
      const result = await fn();
      const ms = Date.now() - started;
      this.timings.push({ step: label, ms });
      if (!this.quiet) progress(`✓ ${label} (${seconds(ms)})`);
      return result;
    } catch (err) {
      if (!this.quiet) progress(`✗ ${label} (${seconds(Date.now() - started)})`);
      throw err;
    }
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
