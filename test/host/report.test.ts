// What people and CI read after lab test: the HTML report in a real browser (Debian's chromium,
// headless, driven by playwright-core), JUnit against the schema Jenkins' xUnit uses, the step
// summary, and the evidence bundle a failed check leaves, whose capture tcpdump reads.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuiet } from '../../src/host/exec.js';
import { netnsExists } from '../../src/host/netns.js';
import type { EvidenceManifest } from '../../src/core/evidence.js';
import type { Report } from '../../src/verify/report.js';
import { readPcap } from '../helpers/pcap.js';
import { labAsync, lab, ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-report-'));
/** Kept after the run (not committed): the screenshots a person looks at. */
const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const XSD = join(ROOT, 'test', 'fixtures', 'reference', 'junit-10.xsd');
const DUT_MAC = '52:54:00:12:34:57';
const specs: string[] = [];

function spec(name: string, edit: (text: string) => string = (t) => t): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    edit(readFileSync(join(ROOT, 'examples/netns.yaml'), 'utf8').replace(/^name: .*/m, `name: ${name}`)),
  );
  specs.push(file);
  return file;
}

afterAll(() => {
  for (const file of specs) lab(['down', '-f', file, '--purge']);
  rmSync(work, { recursive: true, force: true });
}, 300_000);

const macAt = (data: Buffer, offset: number) =>
  [...data.subarray(offset, offset + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
const figure = (r: Report, app: string, check: string, name: string) =>
  r.checks.find((c) => c.app === app && c.check === check)!.figures![name]!;

describe('lab test --html --junit --summary on examples/netns.yaml', () => {
  const name = `rp${process.pid % 100000}`;
  const html = join(work, 'r.html');
  const junit = join(work, 'r.xml');
  const summary = join(work, 'summary.md');
  let report: Report;
  let stderr = '';
  let stdout = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    const file = spec(name);
    const t = await labAsync(
      ['test', '-f', file, '--json', '--html', html, '--junit', junit, '--summary', summary],
      ROOT,
      300_000,
    );
    if (t.status !== 0) throw new Error(`lab test failed (exit ${t.status}):\n${t.stdout}\n${t.stderr}`);
    ({ stdout, stderr } = t);
    report = JSON.parse(t.stdout) as Report;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  }, 360_000);
  afterAll(async () => browser?.close());

  it('--json is one document on stdout and nothing else; progress goes to stderr, with no colours or cursor tricks', () => {
    expect(() => JSON.parse(stdout)).not.toThrow();
    expect(stderr).toContain('→ lab up');
    expect(`${stdout}${stderr}`, 'no escape sequences').not.toMatch(/\x1b/);
  });

  it('writes JUnit that junit-10.xsd accepts: a testsuite per app, a testcase per check, the figures as properties', async () => {
    const v = await runQuiet(['xmllint', '--noout', '--schema', XSD, junit]);
    expect(v.exitCode, v.stderr).toBe(0);
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(10);
    expect(xml).toContain('classname="lab.dut.l2_multi_echo" name="rss"');
    expect(xml).toContain(
      `<property name="latency.rtt_p99_us" value="${figure(report, 'l2_echo', 'latency', 'rtt_p99_us')}"/>`,
    );
    expect(xml).toContain(
      `<property name="rss.queue1_rx" value="${figure(report, 'l2_multi_echo', 'rss', 'queue1_rx')}"/>`,
    );
  });

  it('appends a Markdown summary of the same report', () => {
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain(`### lab ${name}: passed`);
    expect(md).toMatch(/\| l2_multi_echo \| rss \| ✅ pass \| 2\/2 queues received traffic/);
  });

  it('the HTML report opens in chromium with its charts holding the measured values, in light, dark and print', async () => {
    const size = statSync(html).size;
    expect(readFileSync(html, 'utf8'), 'self-contained: nothing fetched').not.toMatch(
      /<script|<link|src="http|href="http|@import/,
    );
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => void (r.url().startsWith('file:') || requests.push(r.url())));
    await page.goto(`file://${html}`);
    expect(requests).toEqual([]);
    expect(await page.locator('table.checks tbody tr').count()).toBe(10);
    for (const app of ['l2_echo', 'l2_multi_echo']) {
      const hist = page.locator(`svg.rtt-histogram[data-app="${app}"]`);
      expect(await hist.locator('rect.bar').count()).toBeGreaterThan(0);
      const echoes = Number(await hist.getAttribute('data-echoes'));
      expect(echoes).toBe(figure(report, app, 'latency', 'echoes_timed'));
      for (const [marker, fig] of [
        ['p50', 'rtt_p50_us'],
        ['p99', 'rtt_p99_us'],
        ['max', 'rtt_max_us'],
      ] as const) {
        expect(Number(await hist.locator(`g.marker[data-marker="${marker}"]`).getAttribute('data-value'))).toBe(
          figure(report, app, 'latency', fig),
        );
        expect(await page.locator(`svg.rtt-cdf[data-app="${app}"] g.marker[data-marker="${marker}"]`).count()).toBe(1);
      }
      expect(await page.locator(`svg.rtt-cdf[data-app="${app}"] polyline.line`).getAttribute('points')).toMatch(/\d/);
    }
    for (const q of [0, 1]) {
      expect(
        Number(
          await page.locator(`svg.queues[data-app="l2_multi_echo"] rect.rx[data-queue="${q}"]`).getAttribute('data-rx'),
        ),
      ).toBe(figure(report, 'l2_multi_echo', 'rss', `queue${q}_rx`));
    }
    expect(await page.locator('svg.topology g.node[data-node="dut"]').count()).toBe(1);
    expect(await page.locator('dl.env').innerText()).toMatch(/DPDK[\s\S]*22\.11/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-light.png'), fullPage: true });
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background(), 'dark mode has its own colours').not.toBe(light);
    await page.screenshot({ path: join(ARTIFACTS, 'report-dark.png'), fullPage: true });
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    expect(await background(), 'printed on white').toBe('rgb(255, 255, 255)');
    console.log(`HTML report: ${size} bytes; screenshots in ${ARTIFACTS}`);
    await page.close();
  }, 120_000);
});

describe('a check that fails under lab test', () => {
  it("leaves an evidence bundle: a manifest, and a capture tcpdump reads holding the probe's frames both ways", async () => {
    const name = `rf${process.pid % 100000}`;
    // No echo comes back within 1 µs: the latency check fails, the others pass.
    const file = spec(name, (t) => `${t}  latency: { p50_us: 1 }\n`);
    const junit = join(work, 'failed.xml');
    const t = await labAsync(['test', '-f', file, '--json', '--junit', junit], ROOT, 300_000);
    expect(t.status, t.stderr).toBe(1);
    const report = JSON.parse(t.stdout) as Report;
    expect(report.checks.filter((c) => c.status === 'failed').map((c) => `${c.app} ${c.check}`)).toEqual([
      'l2_echo latency',
      'l2_multi_echo latency',
    ]);
    const dir = report.evidence!;
    expect(dir).toContain(join(work, '.lab', name, 'evidence'));
    expect(netnsExists(`lab-${name}`), 'lab test still ends with down').toBe(false);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as EvidenceManifest;
    expect(manifest.reason).toBe('2 check(s) failed');
    expect(manifest.failed[0]).toMatch(/^l2_echo latency: RTT min/);
    expect(manifest.items.filter((i) => i.missing)).toEqual([]);
    expect(manifest.items.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        'report.json',
        'status.json',
        'apps/l2_echo/verify.pcap',
        'apps/l2_echo/l2probe.json',
        'apps/l2_echo/app.log',
        'apps/l2_echo/counters.json',
      ]),
    );
    const pcap = join(dir, 'apps', 'l2_echo', 'verify.pcap');
    const read = await runQuiet(['tcpdump', '-r', pcap, '-n', 'udp']);
    expect(read.exitCode, read.stderr).toBe(0);
    const frames = readPcap(pcap).filter((f) => f.data.readUInt16BE(12) === 0x0800 && f.data[23] === 17);
    expect(
      frames.filter((f) => macAt(f.data, 0) === DUT_MAC).length,
      "the probe's frames to the app",
    ).toBeGreaterThanOrEqual(2000);
    expect(frames.filter((f) => macAt(f.data, 6) === DUT_MAC).length, 'and its echoes back').toBeGreaterThanOrEqual(
      2000,
    );
    expect(readFileSync(junit, 'utf8')).toContain(`<system-out>evidence: ${dir}</system-out>`);
    expect(readFileSync(junit, 'utf8')).toMatch(
      /<failure type="latency" message="RTT min [^"]+p50 [^"]+limits: p50 ≤ 1 µs/,
    );
    const v = await runQuiet(['xmllint', '--noout', '--schema', XSD, junit]);
    expect(v.exitCode, v.stderr).toBe(0);
  }, 360_000);
});
