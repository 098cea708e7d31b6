// What every zero-loss search must hold to, whatever rate a machine reaches.
import { expect } from 'vitest';
import type { SearchTrial } from '../../src/verify/probe.js';

/** The rate reported is the highest one a trial passed at, and a pass means the loss stayed within the tolerance. */
export function expectConsistentSearch(rate: number, trials: SearchTrial[], lossPct = 0): void {
  expect(trials.length, 'at least one trial ran').toBeGreaterThan(0);
  for (const t of trials) {
    expect(t.lost, 'lost is sent less received').toBe(t.sent - t.received);
    const lossOk = t.sent > 0 && t.lost <= (lossPct / 100) * t.sent;
    expect(
      t.passed,
      `trial at ${t.offered_pps} pps: passed exactly when its loss is within the tolerance and its rate was offered`,
    ).toBe(lossOk && (t.flood || t.sent_pps >= 0.99 * t.offered_pps));
    expect(t.failed_by === null).toBe(t.passed);
  }
  const passedAt = trials.filter((t) => t.passed).map((t) => (t.flood ? t.sent_pps : t.offered_pps));
  expect(rate).toBe(passedAt.length ? Math.max(...passedAt) : 0);
}
