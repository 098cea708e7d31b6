// What a command created, so a failure or Ctrl-C can take it back in reverse order.
import { LabError } from '../errors.js';

export class Undo {
  private steps: Array<{ what: string; fn: () => Promise<void> }> = [];

  push(what: string, fn: () => Promise<void>): void {
    this.steps.push({ what, fn });
  }

  /** Runs every step, newest first, even when one fails; reports the failures together. */
  async run(): Promise<void> {
    const failures: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.fn();
      } catch (err) {
        failures.push(`${step.what}: ${(err as Error).message}`);
      }
    }
    if (failures.length) throw new LabError({ code: 'ENV_HOST', message: 'could not undo everything', hint: failures.join('\n') });
  }
}

/**
 * Runs `fn`; on an error, or on SIGINT/SIGTERM while it runs, undoes what it registered and
 * re-raises. A signal is turned into an error at the next step, so nothing is left half-made.
 */
export async function transaction<T>(fn: (undo: Undo, checkpoint: () => void) => Promise<T>): Promise<T> {
  const undo = new Undo();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const checkpoint = () => {
    if (interrupted) throw new LabError({ code: 'INTERRUPTED', message: `interrupted (${interrupted}); undoing what this command made` });
  };
  try {
    const result = await fn(undo, checkpoint);
    checkpoint();
    return result;
  } catch (err) {
    await undo.run();
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
