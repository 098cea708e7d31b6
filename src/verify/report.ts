// A verification report three ways: a table for people, JSON, and JUnit XML for CI.
import type { CheckResult } from './checks.js';

export interface Report {
  lab: string;
  passed: boolean;
  counts: { passed: number; failed: number; skipped: number };
  checks: CheckResult[];
}

export function makeReport(lab: string, checks: CheckResult[]): Report {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const c of checks) counts[c.status]++;
  return { lab, passed: counts.failed === 0 && counts.passed > 0, counts, checks };
}

export function reportTable(r: Report): string {
  const rows = r.checks.map((c) => [c.check, c.app, c.status === 'passed' ? 'pass' : c.status === 'failed' ? 'FAIL' : 'skip', c.measured]);
  const header = ['CHECK', 'APP', 'RESULT', 'MEASURED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
  return [line(header), ...rows.map(line), '', `verify: ${r.counts.passed} passed, ${r.counts.failed} failed, ${r.counts.skipped} skipped`].join('\n');
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function reportJUnit(r: Report): string {
  const apps = [...new Set(r.checks.map((c) => c.app))];
  const suites = apps.map((app) => {
    const cs = r.checks.filter((c) => c.app === app);
    const cases = cs.map((c) => {
      const body = c.status === 'failed' ? `<failure message="${xml(c.measured)}"/>` : c.status === 'skipped' ? `<skipped message="${xml(c.measured)}"/>` : `<system-out>${xml(c.measured)}</system-out>`;
      return `    <testcase classname="lab.${xml(r.lab)}.${xml(app)}" name="${c.check}" time="${(c.ms / 1000).toFixed(3)}">${body}</testcase>`;
    });
    const failures = cs.filter((c) => c.status === 'failed').length;
    const skipped = cs.filter((c) => c.status === 'skipped').length;
    const time = cs.reduce((t, c) => t + c.ms, 0) / 1000;
    return `  <testsuite name="${xml(app)}" tests="${cs.length}" failures="${failures}" skipped="${skipped}" time="${time.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="lab ${xml(r.lab)}" tests="${r.checks.length}" failures="${r.counts.failed}" skipped="${r.counts.skipped}">\n${suites.join('\n')}\n</testsuites>\n`;
}
