// The report renderers, pure: JUnit's shape, the Markdown summary, and HTML that escapes what it shows.
import { describe, expect, it } from 'vitest';
import { topologyOf } from '../../src/render/graph.js';
import { renderHtmlReport } from '../../src/verify/report-html.js';
import { makeReport, reportJUnit, reportMarkdown } from '../../src/verify/report.js';
import type { CheckResult } from '../../src/verify/checks.js';
import { cleanProbe, labFrom, MINIMAL } from '../helpers/lab.js';

const lab = labFrom(MINIMAL);
const app = lab.apps[0]!.name;
const checks: CheckResult[] = [
  {
    check: 'echo',
    app,
    outcome: 'measured',
    status: 'passed',
    measured: '2000/2000 frames echoed',
    figures: { frames_sent: 2000, frames_echoed: 2000 },
    data: cleanProbe(2000),
    ms: 1200,
  },
  {
    check: 'latency',
    app,
    outcome: 'measured',
    status: 'failed',
    measured: 'RTT p50 9 µs > limit <1> & "quoted"\u0001',
    figures: { rtt_p50_us: 9 },
    data: {
      min: 5,
      p50: 9,
      p99: 20,
      max: 40,
      hist: [
        [5, 10],
        [9, 80],
        [20, 9],
        [40, 1],
      ],
    },
    ms: 10,
  },
  { check: 'rss', app, outcome: 'skipped', status: 'skipped', measured: 'l2_echo runs one queue', ms: 0 },
];
const report = { ...makeReport(lab, checks), evidence: '/tmp/ev' };
const environment = {
  host: 'h',
  kernel: '6.1',
  cpus: 2,
  labVersion: '0.1.0',
  image: 'Debian bookworm',
  dpdk: '22.11',
  accel: { dut: 'tcg' },
  generatedAt: 'now',
};

describe('JUnit', () => {
  const xml = reportJUnit(report);
  it('has a testsuite per app with errors, the figures as properties, testcases named lab.<node>.<app>', () => {
    expect(xml).toContain(`<testsuite name="lab.t.dut.${app}" tests="3" failures="1" errors="0" skipped="1"`);
    expect(xml).toContain('<property name="echo.frames_sent" value="2000"/>');
    expect(xml).toContain(`classname="lab.dut.${app}" name="latency"`);
    expect(xml).not.toMatch(/<testsuites[^>]*skipped=/);
    expect(xml).toContain('<system-out>evidence: /tmp/ev</system-out>');
  });
  it('escapes the reason and drops what XML 1.0 cannot hold', () => {
    expect(xml).toContain('message="RTT p50 9 µs &gt; limit &lt;1&gt; &amp; &quot;quoted&quot;"');
    expect(xml).not.toContain('\u0001');
  });
});

describe('Markdown summary and HTML', () => {
  it('the summary is a table of the same checks', () => {
    const md = reportMarkdown(report);
    expect(md).toContain('### lab t: failed');
    expect(md).toContain(`| ${app} | latency | ❌ FAIL | RTT p50 9 µs &gt; limit &lt;1&gt; &amp; "quoted"`);
  });
  it('guest text in the summary is text: no HTML, Markdown, table breaks or control characters of its own', () => {
    const hostile = makeReport(lab, [
      {
        app,
        check: 'echo',
        outcome: 'could_not_check',
        status: 'failed',
        data: [],
        measured: '<img src=x onerror=alert(1)> | [click](http://x.invalid) **bold**\x1b]0;t\x07\nnext',
        ms: 1,
      },
    ]);
    const line = reportMarkdown(hostile)
      .split('\n')
      .find((l) => l.startsWith(`| ${app} |`))!;
    expect(line).toContain('&lt;img src=x onerror=alert(1)&gt; \\| \\[click\\](http://x.invalid) \\*\\*bold\\*\\*');
    expect(line.split(' | ')).toHaveLength(4);
    expect(line).not.toMatch(/[\x00-\x1f]/);
    expect(line).not.toContain('<img');
  });
  it('the HTML marks p50, p99 and max on the RTT charts and escapes what it shows', () => {
    const html = renderHtmlReport({ title: 'lab t', report, topology: topologyOf(lab), environment });
    expect(html).toContain('data-marker="p99" data-value="20"');
    expect(html).toContain('data-echoes="100"');
    expect(html).toContain('&lt;1&gt; &amp; &quot;quoted&quot;');
    expect(html).not.toMatch(/<script/);
  });
});
