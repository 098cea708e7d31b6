// Ctrl-C, SIGTERM and a closed terminal (SIGHUP) while a command works: recorded here, raised by
// every wait at its next turn, so long waits stop promptly and the command's undo runs.
import { LabError } from '../errors.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let received: NodeJS.Signals | undefined;
let listening = 0;

const onSignal = (sig: NodeJS.Signals) => {
  received = sig;
};

/** While `fn` runs, SIGINT, SIGTERM and SIGHUP become errors at the next wait or checkpoint instead of killing the process. */
export async function catchingSignals<T>(fn: () => Promise<T>): Promise<T> {
  if (listening++ === 0) {
    for (const sig of SIGNALS) process.on(sig, onSignal);
  }
  try {
    return await fn();
  } finally {
    if (--listening === 0) {
      for (const sig of SIGNALS) process.off(sig, onSignal);
      received = undefined;
    }
  }
}

let shielding = 0;

/** Clean-up must finish even after Ctrl-C: inside `shielded`, waits ignore the interrupt. */
export async function shielded<T>(fn: () => Promise<T>): Promise<T> {
  shielding++;
  try {
    return await fn();
  } finally {
    shielding--;
  }
}

export function throwIfInterrupted(): void {
  if (received && shielding === 0)
    throw new LabError({ code: 'INTERRUPTED', message: `interrupted (${received}); undoing what this command made` });
}

/** Whether `err` is the interrupt raised above, which must end the command rather than be reported as a result. */
export function isInterrupt(err: unknown): boolean {
  return err instanceof LabError && err.problems.some((p) => p.code === 'INTERRUPTED');
}
