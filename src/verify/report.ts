// A verification report three ways: a table for people, JSON, and JUnit XML for CI.
import type { App } from '../config/lab.js';
import type { CheckResult } from './checks.js';
import { printable } from '../errors.js';

/** Where an app ran: its node and program. */
export interface ReportApp {
  app: string;
  node: string;
  program: string;
  /** What it does to frames, which decides its checks: echo, or forward. */
  does: 'echo' | 'forward';
}

/** What ran where: shown at the top of the report. */
export interface ReportEnvironment {
  host: string;
  kernel: string;
  cpus: number;
  labVersion: string;
  image: string;
  dpdk: string;
  /** Per QEMU VM, the accelerator it ran under. */
  accel: Record<string, string>;
  generatedAt: string;
}

export interface Report {
  lab: string;
  passed: boolean;
  counts: { passed: number; failed: number; skipped: number };
  apps: ReportApp[];
  checks: CheckResult[];
  /** The evidence bundle's folder, when one was kept. */
  evidence?: string;
  /** Where it ran, read while the lab was up (lab test). */
  environment?: ReportEnvironment;
}

export function makeReport(lab: { name: string; apps: App[] }, checks: CheckResult[]): Report {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const c of checks) counts[c.status]++;
  const checked = new Set(checks.map((c) => c.app));
  const apps = lab.apps
    .filter((a) => checked.has(a.name))
    .map((a) => ({ app: a.name, node: a.node, program: a.program, does: a.does }));
  return { lab: lab.name, passed: counts.failed === 0 && counts.passed > 0, counts, apps, checks };
}

export function reportTable(r: Report): string {
  const rows = r.checks.map((c) => [
    c.check,
    c.app,
    c.status === 'passed' ? 'pass' : c.status === 'failed' ? 'FAIL' : 'skip',
    c.measured,
  ]);
  const header = ['CHECK', 'APP', 'RESULT', 'MEASURED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
  const evidence = r.evidence ? [`evidence: ${r.evidence}`] : [];
  return [
    line(header),
    ...rows.map(line),
    '',
    `verify: ${r.counts.passed} passed, ${r.counts.failed} failed, ${r.counts.skipped} skipped`,
    ...evidence,
  ].join('\n');
}

// XML 1.0 has no way to write most control characters, even escaped.
const xml = (s: string) =>
  s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
const seconds = (ms: number) => (ms / 1000).toFixed(3);

/**
 * JUnit as Jenkins' xUnit and most CI reporters read it (junit-10.xsd): a testsuite per app, a
 * testcase per check with classname lab.<node>.<app>; the figures as the suite's properties (the
 * schema allows none on a testcase), a failure's message the check's reason, and the evidence
 * bundle's path in system-out.
 */
export function reportJUnit(r: Report): string {
  const suites = r.apps.map(({ app, node, program }) => {
    const cs = r.checks.filter((c) => c.app === app);
    const count = (s: CheckResult['status']) => cs.filter((c) => c.status === s).length;
    const props = [
      ['program', program],
      ['node', node],
      ...cs.flatMap((c) => Object.entries(c.figures ?? {}).map(([k, v]) => [`${c.check}.${k}`, String(v)])),
    ];
    const cases = cs.map((c) => {
      const body =
        c.status === 'failed'
          ? `<failure type="${c.check}" message="${xml(c.measured)}">${xml(c.measured)}</failure>`
          : c.status === 'skipped'
            ? `<skipped message="${xml(c.measured)}"/>`
            : `<system-out>${xml(c.measured)}</system-out>`;
      return `    <testcase classname="lab.${xml(node)}.${xml(app)}" name="${c.check}" time="${seconds(c.ms)}">${body}</testcase>`;
    });
    const out = r.evidence ? [`    <system-out>evidence: ${xml(r.evidence)}</system-out>`] : [];
    return [
      `  <testsuite name="lab.${xml(r.lab)}.${xml(node)}.${xml(app)}" tests="${cs.length}" failures="${count('failed')}" errors="0" skipped="${count('skipped')}" time="${seconds(cs.reduce((t, c) => t + c.ms, 0))}">`,
      `    <properties>\n${props.map(([k, v]) => `      <property name="${xml(k!)}" value="${xml(v!)}"/>`).join('\n')}\n    </properties>`,
      ...cases,
      ...out,
      '  </testsuite>',
    ].join('\n');
  });
  const time = seconds(r.checks.reduce((t, c) => t + c.ms, 0));
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="lab ${xml(r.lab)}" tests="${r.checks.length}" failures="${r.counts.failed}" errors="0" time="${time}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/**
 * A table cell of text that may come from a guest: one line, no control characters, no HTML, and
 * none of the Markdown that could make a link, an image, code or a new cell (GitHub leaves the
 * underscores in names like l2_multi_echo as they are).
 */
const md = (s: string) =>
  printable(s.replace(/\r?\n/g, ' '))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*[\]|~]/g, (c) => `\\${c}`);

/** The report as Markdown, for a CI job's summary page (GitHub's $GITHUB_STEP_SUMMARY). */
export function reportMarkdown(r: Report): string {
  const icon = { passed: '✅ pass', failed: '❌ FAIL', skipped: '⏭ skip' } as const;
  const rows = r.checks.map((c) => `| ${md(c.app)} | ${c.check} | ${icon[c.status]} | ${md(c.measured)} |`);
  return [
    `### lab ${md(r.lab)}: ${r.passed ? 'passed' : 'failed'}`,
    '',
    `${r.counts.passed} passed, ${r.counts.failed} failed, ${r.counts.skipped} skipped${r.evidence ? `; evidence: \`${r.evidence}\`` : ''}`,
    '',
    '| app | check | result | measured |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
