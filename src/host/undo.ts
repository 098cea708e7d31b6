// What a command created, so a failure or Ctrl-C can take it back in reverse order.
import { LabError } from '../errors.js';
import { catchingSignals, shielded, throwIfInterrupted } from './interrupt.js';

export class Undo {
  private steps: Array<{ what: string; fn: () => Promise<void> }> = [];

  push(what: string, fn: () => Promise<void>): void {
    this.steps.push({ what, fn });
  }

  /** Runs every step, newest first, even when one fails; reports the failures together. */
  async run(): Promise<void> {
    const failures: string[] = [];
    await shielded(async () => {
      for (const step of this.steps.splice(0).reverse()) {
        try {
          await step.fn();
        } catch (err) {
          failures.push(`${step.what}: ${(err as Error).message}`);
        }
      }
    });
    if (failures.length)
      throw new LabError({ code: 'ENV_HOST', message: 'could not undo everything', hint: failures.join('\n') });
  }
}

/**
 * Runs `fn`; on an error, or on SIGINT/SIGTERM while it runs (raised at the next wait or
 * checkpoint), undoes what it registered and re-raises. Nothing is left half-made.
 */
export async function transaction<T>(fn: (undo: Undo, checkpoint: () => void) => Promise<T>): Promise<T> {
  return catchingSignals(async () => {
    const undo = new Undo();
    try {
      const result = await fn(undo, throwIfInterrupted);
      throwIfInterrupted();
      return result;
    } catch (err) {
      await undo.run();
      throw err;
    }
  });
}
