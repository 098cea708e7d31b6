// The one way lab waits for something: poll until it holds or a deadline passes, with Ctrl-C
// ending the wait at its next turn (so the command's undo runs promptly).
import { LabError } from '../errors.js';
import { throwIfInterrupted } from './interrupt.js';

export interface WaitOptions {
  timeoutMs: number;
  everyMs?: number;
  /** Called at most every `reportEveryMs` while still waiting (to show progress); may throw to give up. */
  onWait?: () => void | Promise<void>;
  reportEveryMs?: number;
}

/**
 * Calls `attempt` until it returns a value other than undefined or false, and returns that value;
 * returns undefined when the deadline passes first. Errors from `attempt` end the wait.
 */
export async function waitFor<T>(
  attempt: () => T | undefined | false | Promise<T | undefined | false>,
  o: WaitOptions,
): Promise<T | undefined> {
  const deadline = Date.now() + o.timeoutMs;
  let reported = Date.now();
  for (;;) {
    throwIfInterrupted();
    const value = await attempt();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) return undefined;
    if (o.onWait && Date.now() - reported >= (o.reportEveryMs ?? 15_000)) {
      reported = Date.now();
      await o.onWait();
    }
    await sleep(Math.min(o.everyMs ?? 100, Math.max(0, deadline - Date.now())));
  }
}

/** `promise`, or a TIMEOUT error naming `what` once `ms` pass first: for a peer that may never answer. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LabError({ code: 'TIMEOUT', message: `${what} did not answer within ${ms / 1000} s` })),
      ms,
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
