// Before vitest's own summary: where the minutes went (the slowest files, with their share of the
// run) and one plain line, "Tests: N passed, N failed, N skipped", that CI reads. Listed before
// vitest's default reporter, so vitest's summary stays the last thing printed.
import { relative } from 'node:path';
import type { Reporter } from 'vitest/reporters';

type Task = { type: string; mode?: string; result?: { state?: string; duration?: number }; tasks?: Task[] };
type File = Task & { filepath: string; collectDuration?: number; setupDuration?: number };

/** How many of the slowest files the table lists. */
const SLOWEST = 8;

function count(tasks: Task[], totals: { passed: number; failed: number; skipped: number }): void {
  for (const task of tasks) {
    if (task.tasks) count(task.tasks, totals);
    if (task.type !== 'test') continue;
    const state = task.result?.state;
    if (state === 'pass') totals.passed++;
    else if (state === 'fail') totals.failed++;
    else totals.skipped++;
  }
}

/** A file's wall time: importing it, then its tests and hooks. */
const seconds = (file: File) =>
  ((file.collectDuration ?? 0) + (file.setupDuration ?? 0) + (file.result?.duration ?? 0)) / 1000;

export function slowestFiles(files: File[], root: string, limit = SLOWEST): string {
  const rows = files.map((f) => ({ name: relative(root, f.filepath), s: seconds(f) })).sort((a, b) => b.s - a.s);
  const total = rows.reduce((sum, r) => sum + r.s, 0);
  const width = Math.max(...rows.slice(0, limit).map((r) => r.name.length), 4);
  const lines = rows
    .slice(0, limit)
    .map(
      (r) =>
        `  ${r.name.padEnd(width)}  ${r.s.toFixed(1).padStart(7)} s  ${total > 0 ? ((100 * r.s) / total).toFixed(0).padStart(3) : '  0'} %`,
    );
  return [`Slowest files (of ${rows.length}, ${total.toFixed(1)} s in all):`, ...lines].join('\n');
}

export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = [], errors: unknown[] = []): void {
    const totals = { passed: 0, failed: 0, skipped: 0 };
    count(files, totals);
    // An error outside any test (a crashed file, an unhandled rejection) is a failure too.
    const failed = totals.failed + errors.length;
    process.stdout.write(
      `\n${slowestFiles(files, process.cwd())}\n\nTests: ${totals.passed} passed, ${failed} failed, ${totals.skipped} skipped\n`,
    );
  }
}
