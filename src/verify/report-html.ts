// A report as one self-contained HTML file: no script, no network, every chart inline SVG drawn
// here from the measured figures. Light and dark follow the reader's setting; it prints on white.
// Pure: the report, the topology and the environment come in, a string goes out.
import type { TopologyGraph } from '../render/graph.js';
import { measured, type CheckResult, type RttData } from './checks.js';
import type { Report, ReportEnvironment } from './report.js';
import type { ThroughputRow } from './throughput.js';

export interface BenchSection {
  apps: Array<{ app: string; node: string; program: string; does: 'echo' | 'forward'; rows: ThroughputRow[] }>;
}

export interface HtmlReportInput {
  title: string;
  report?: Report;
  bench?: BenchSection;
  topology: TopologyGraph;
  environment: ReportEnvironment;
}

const esc = (s: string | number) =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));
/** An axis tick: short, so neighbours on a log axis do not run into each other. */
const tick = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : `${Number(n.toPrecision(3))}`);

const W = 560;
const H = 220;
const PAD = { l: 56, r: 16, t: 16, b: 40 };

interface Scale {
  at(v: number): number;
  ticks: number[];
}

function linearScale(lo: number, hi: number, from: number, to: number): Scale {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / 4 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ?? step * 10;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi + 1e-9; t += nice) ticks.push(Number(t.toPrecision(12)));
  return { at: (v) => from + ((v - lo) / span) * (to - from), ticks };
}

function logScale(lo: number, hi: number, from: number, to: number): Scale {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  const ticks: number[] = [];
  // 1-2-5 in each decade while they fit, powers of ten over a wide range.
  const steps = b - a > 3 ? [1] : [1, 2, 5];
  for (let e = Math.floor(a); e <= Math.ceil(b); e++)
    for (const m of steps) if (m * 10 ** e >= lo && m * 10 ** e <= hi) ticks.push(m * 10 ** e);
  return { at: (v) => from + ((Math.log10(v) - a) / (b - a || 1)) * (to - from), ticks };
}

function axes(x: Scale, y: Scale, xLabel: string, yLabel: string, yFmt = tick): string {
  const xt = x.ticks.map(
    (t) =>
      `<line class="grid" x1="${x.at(t)}" x2="${x.at(t)}" y1="${PAD.t}" y2="${H - PAD.b}"/><text class="tick" x="${x.at(t)}" y="${H - PAD.b + 14}" text-anchor="middle">${tick(t)}</text>`,
  );
  const yt = y.ticks.map(
    (t) =>
      `<line class="grid" x1="${PAD.l}" x2="${W - PAD.r}" y1="${y.at(t)}" y2="${y.at(t)}"/><text class="tick" x="${PAD.l - 6}" y="${y.at(t) + 4}" text-anchor="end">${yFmt(t)}</text>`,
  );
  return [
    ...xt,
    ...yt,
    `<line class="axis" x1="${PAD.l}" x2="${W - PAD.r}" y1="${H - PAD.b}" y2="${H - PAD.b}"/>`,
    `<line class="axis" x1="${PAD.l}" x2="${PAD.l}" y1="${PAD.t}" y2="${H - PAD.b}"/>`,
    `<text class="label" x="${(PAD.l + W - PAD.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text class="label" transform="translate(12 ${(PAD.t + H - PAD.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ].join('');
}

function markers(x: Scale, rtt: RttData): string {
  return (['p50', 'p99', 'max'] as const)
    .map((k, i) => {
      const at = x.at(Math.max(rtt[k], rtt.min || rtt[k]));
      return `<g class="marker" data-marker="${k}" data-value="${rtt[k]}"><line x1="${at}" x2="${at}" y1="${PAD.t}" y2="${H - PAD.b}"/><text x="${at + 3}" y="${PAD.t + 10 + i * 12}">${k} ${fmt(rtt[k])} µs</text></g>`;
    })
    .join('');
}

/** How a latency check timed its frames: an echo's round trip, or a forward's way from one wire to the other. */
interface Timed {
  what: string;
  /** As a table's column says it. */
  short: string;
  frames: string;
}
/** What lab times: an echo's round trip, or a forwarded frame's way through the DUT, one wire to the other. */
export const TIMED: Record<'echo' | 'forward', Timed> = {
  echo: { what: 'RTT', short: 'RTT', frames: 'echoes' },
  forward: { what: 'time through the DUT', short: 'through DUT', frames: 'frames' },
};

/** The RTT (or time through a forwarding DUT) distribution: a histogram on a log axis (the tail is what matters) and its CDF, with p50, p99 and max marked. */
function rttCharts(app: string, rtt: RttData, t: Timed): string {
  const hist = (rtt.hist ?? []).filter(([us]) => us > 0);
  if (!hist.length) return `<p class="note">No ${t.what} distribution for ${esc(app)}: no frame came back.</p>`;
  const lo = Math.max(0.1, Math.min(rtt.min || hist[0]![0], hist[0]![0]) * 0.9);
  const hi = Math.max(rtt.max, hist[hist.length - 1]![0]) * 1.1;
  const x = logScale(lo, hi, PAD.l, W - PAD.r);
  const bins = 48;
  const counts = new Array<number>(bins).fill(0);
  const binOf = (us: number) =>
    Math.min(
      bins - 1,
      Math.max(0, Math.floor(((Math.log10(us) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * bins)),
    );
  for (const [us, n] of hist) counts[binOf(us)]! += n;
  const total = counts.reduce((a, b) => a + b, 0);
  const y = linearScale(0, Math.max(...counts), H - PAD.b, PAD.t);
  const edge = (i: number) => x.at(10 ** (Math.log10(lo) + ((Math.log10(hi) - Math.log10(lo)) * i) / bins));
  const bars = counts
    .map((n, i) =>
      n
        ? `<rect class="bar" data-count="${n}" x="${edge(i)}" y="${y.at(n)}" width="${Math.max(1, edge(i + 1) - edge(i) - 1)}" height="${H - PAD.b - y.at(n)}"><title>${n} ${t.frames}</title></rect>`
        : '',
    )
    .join('');
  let seen = 0;
  const yc = linearScale(0, 1, H - PAD.b, PAD.t);
  const points = hist.map(([us, n]) => {
    seen += n;
    return `${x.at(us).toFixed(1)},${yc.at(seen / total).toFixed(1)}`;
  });
  const pct = (v: number) => `${Math.round(v * 100)} %`;
  return `<figure><svg class="chart rtt-histogram" data-app="${esc(app)}" data-echoes="${total}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${t.what} histogram of ${esc(app)}">${axes(x, y, `${t.what} (µs, log scale)`, t.frames)}${bars}${markers(x, rtt)}</svg><figcaption>${t.what} histogram, ${total} ${t.frames}</figcaption></figure>
<figure><svg class="chart rtt-cdf" data-app="${esc(app)}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${t.what} CDF of ${esc(app)}">${axes(x, yc, `${t.what} (µs, log scale)`, `fraction of ${t.frames}`, pct)}<polyline class="line" points="${points.join(' ')}"/>${markers(x, rtt)}</svg><figcaption>${t.what} cumulative distribution</figcaption></figure>`;
}

/** Frames each queue received and sent: how RSS spread the flows. */
function queueBars(
  app: string,
  { queues, during }: { queues: Array<{ queue: number; rx: number; tx: number }>; during: string },
): string {
  if (!queues.length) return '';
  const y = linearScale(0, Math.max(1, ...queues.flatMap((q) => [q.rx, q.tx])), H - PAD.b, PAD.t);
  const slot = (W - PAD.l - PAD.r) / queues.length;
  const bw = Math.min(40, slot / 3);
  const x: Scale = { at: (i) => PAD.l + slot * (i + 0.5), ticks: [] };
  const bars = queues
    .map((q, i) => {
      const cx = x.at(i);
      return (
        `<rect class="bar rx" data-queue="${q.queue}" data-rx="${q.rx}" x="${cx - bw}" y="${y.at(q.rx)}" width="${bw - 1}" height="${H - PAD.b - y.at(q.rx)}"><title>queue ${q.queue}: ${q.rx} received</title></rect>` +
        `<rect class="bar tx" data-queue="${q.queue}" data-tx="${q.tx}" x="${cx}" y="${y.at(q.tx)}" width="${bw - 1}" height="${H - PAD.b - y.at(q.tx)}"><title>queue ${q.queue}: ${q.tx} sent</title></rect>` +
        `<text class="tick" x="${cx}" y="${H - PAD.b + 14}" text-anchor="middle">queue ${q.queue}</text>` +
        `<text class="value" x="${cx - bw / 2}" y="${y.at(q.rx) - 3}" text-anchor="middle">${q.rx}</text><text class="value" x="${cx + bw / 2}" y="${y.at(q.tx) - 3}" text-anchor="middle">${q.tx}</text>`
      );
    })
    .join('');
  return `<figure><svg class="chart queues" data-app="${esc(app)}" viewBox="0 0 ${W} ${H}" role="img" aria-label="per-queue frames of ${esc(app)}">${axes({ ...x, ticks: [] }, y, '', 'frames')}${bars}</svg><figcaption>Frames per queue ${esc(during)}: <span class="key rx">received</span> <span class="key tx">sent</span></figcaption></figure>`;
}

function rttOf(checks: CheckResult[]): RttData | undefined {
  return measured(checks, 'latency')?.data;
}

/** Per-queue frames: the rss check's (during the echo run), else the app's final counters (its whole run). */
function queuesOf(checks: CheckResult[]): { queues: Array<{ queue: number; rx: number; tx: number }>; during: string } {
  const rss = measured(checks, 'rss');
  if (rss)
    return {
      queues: rss.data,
      during: `during the ${measured(checks, 'forward') ? 'forward check, on its first in port' : 'echo check'}`,
    };
  const control = measured(checks, 'control')?.data;
  return { queues: control?.final?.queues ?? [], during: "over the app's whole run (its final counters)" };
}

function checksTable(r: Report): string {
  const rows = r.checks.map(
    (c) =>
      `<tr class="${c.status}" data-check="${esc(c.check)}" data-app="${esc(c.app)}"><td>${esc(c.app)}</td><td>${esc(c.check)}</td><td class="status">${c.status === 'passed' ? 'pass' : c.status === 'failed' ? 'FAIL' : 'skip'}</td><td>${esc(c.measured)}</td><td class="figures">${Object.entries(
        c.figures ?? {},
      )
        .map(([k, v]) => `<span>${esc(k)} <b>${esc(v)}</b></span>`)
        .join(' ')}</td></tr>`,
  );
  return `<table class="checks"><thead><tr><th>app</th><th>check</th><th>result</th><th>measured, or why it failed</th><th>figures</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function benchCharts(b: BenchSection): string {
  return b.apps
    .map(({ app, node, does, rows }) => {
      const t = TIMED[does];
      const sizes = rows.map((r) => r.frame_size);
      const xs: Scale = { at: (i) => PAD.l + ((W - PAD.l - PAD.r) / rows.length) * (i + 0.5), ticks: [] };
      const yp = linearScale(0, Math.max(1, ...rows.map((r) => r.rate_pps)), H - PAD.b, PAD.t);
      const bw = Math.min(40, (W - PAD.l - PAD.r) / rows.length / 2);
      const bars = rows
        .map(
          (r, i) =>
            `<rect class="bar" data-size="${r.frame_size}" data-pps="${r.rate_pps}" x="${xs.at(i) - bw / 2}" y="${yp.at(r.rate_pps)}" width="${bw}" height="${H - PAD.b - yp.at(r.rate_pps)}"><title>${r.frame_size} B: ${r.rate_pps} pps</title></rect><text class="tick" x="${xs.at(i)}" y="${H - PAD.b + 14}" text-anchor="middle">${r.frame_size}</text>`,
        )
        .join('');
      const timed = rows.filter((r) => r.rtt_us);
      const yr = linearScale(0, Math.max(1, ...timed.map((r) => r.rtt_us!.p99)), H - PAD.b, PAD.t);
      const line = (k: 'p50' | 'p99') =>
        `<polyline class="line ${k}" points="${rows
          .map((r, i) => (r.rtt_us ? `${xs.at(i).toFixed(1)},${yr.at(r.rtt_us[k]).toFixed(1)}` : ''))
          .filter(Boolean)
          .join(' ')}"/>`;
      const dots = timed
        .map((r) =>
          (['p50', 'p99'] as const)
            .map(
              (k) =>
                `<circle class="dot ${k}" data-size="${r.frame_size}" data-${k}="${r.rtt_us![k]}" cx="${xs.at(rows.indexOf(r))}" cy="${yr.at(r.rtt_us![k])}" r="3"><title>${r.frame_size} B ${k}: ${r.rtt_us![k]} µs</title></circle>`,
            )
            .join(''),
        )
        .join('');
      const ticks = rows
        .map(
          (r, i) =>
            `<text class="tick" x="${xs.at(i)}" y="${H - PAD.b + 14}" text-anchor="middle">${r.frame_size}</text>`,
        )
        .join('');
      const table = `<table><thead><tr><th>size B</th><th>zero-loss pps</th><th>Mbit/s</th><th>${t.short} p50 µs</th><th>${t.short} p99 µs</th><th>limited by</th></tr></thead><tbody>${rows.map((r) => `<tr><td>${r.frame_size}</td><td>${r.rate_pps}</td><td>${r.mbps}</td><td>${r.rtt_us?.p50 ?? '–'}</td><td>${r.rtt_us?.p99 ?? '–'}</td><td>${r.limited_by ?? '–'}</td></tr>`).join('')}</tbody></table>`;
      return `<section class="app"><h3>${esc(app)} on ${esc(node)} (${sizes.length} frame sizes)</h3><div class="charts">
<figure><svg class="chart bench-pps" data-app="${esc(app)}" viewBox="0 0 ${W} ${H}" role="img" aria-label="zero-loss rate by frame size">${axes({ ...xs, ticks: [] }, yp, 'frame size (B, with FCS)', 'zero-loss pps')}${bars}</svg><figcaption>Zero-loss rate (RFC 2544 26.1) by frame size</figcaption></figure>
<figure><svg class="chart bench-rtt" data-app="${esc(app)}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${t.what} at the zero-loss rate by frame size">${axes({ ...xs, ticks: [] }, yr, 'frame size (B, with FCS)', `${t.short} µs`)}${ticks}${line('p50')}${line('p99')}${dots}</svg><figcaption>${t.what} at that rate: <span class="key p50">p50</span> <span class="key p99">p99</span></figcaption></figure>
</div>${table}</section>`;
    })
    .join('');
}

/** The topology: the lab namespace (and each network) in the middle row, nodes around it, a line per wire. */
function topologySvg(g: TopologyGraph): string {
  const hubs = g.nodes.filter((n) => n.kind === 'lab namespace' || n.kind === 'network');
  const nodes = g.nodes.filter((n) => !hubs.includes(n));
  const bw = 130;
  const bh = 54;
  const width = Math.max(W, (Math.max(nodes.length, hubs.length) + 1) * (bw + 30));
  const height = 260;
  const place = new Map<string, { x: number; y: number }>();
  nodes.forEach((n, i) => place.set(n.id, { x: ((i + 0.5) * width) / nodes.length, y: 50 }));
  hubs.forEach((n, i) => place.set(n.id, { x: ((i + 0.5) * width) / hubs.length, y: 200 }));
  const lines = g.wires
    .map((w) => {
      const [a, b] = w.ends.map((e) => place.get(e.node));
      if (!a || !b) return '';
      const label = `${w.ends[0].ifname} ⇄ ${w.ends[1].ifname}${w.impair ? ` (${w.impair})` : ''}`;
      return `<g class="wire${w.impair ? ' impaired' : ''}"><line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}"/><text x="${(a.x + b.x) / 2}" y="${(a.y + b.y) / 2 - 4}" text-anchor="middle">${esc(label)}</text></g>`;
    })
    .join('');
  const boxes = g.nodes
    .map((n) => {
      const p = place.get(n.id)!;
      const sub =
        n.kind === 'lab namespace' || n.kind === 'network'
          ? n.kind
          : `${n.kind}${n.arch ? ` ${n.arch}` : ''}${n.cpus ? `, ${n.cpus} cpus` : ''}${n.id === g.tester ? ', tester' : ''}`;
      const apps = n.apps.map((a) => a.name).join(', ');
      return `<g class="node ${n.kind.replace(/\s/g, '-')}" data-node="${esc(n.id)}"><rect x="${p.x - bw / 2}" y="${p.y - bh / 2}" width="${bw}" height="${bh}" rx="6"/><text x="${p.x}" y="${p.y - 8}" text-anchor="middle" class="name">${esc(n.id)}</text><text x="${p.x}" y="${p.y + 7}" text-anchor="middle">${esc(sub)}</text><text x="${p.x}" y="${p.y + 20}" text-anchor="middle">${esc(apps)}</text></g>`;
    })
    .join('');
  return `<svg class="topology" viewBox="0 0 ${width} ${height}" role="img" aria-label="topology of lab ${esc(g.lab)}">${lines}${boxes}</svg>`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#5b6470;--grid:#e3e6ea;--pass:#1a7f37;--fail:#cf222e;--skip:#8c959f;--a:#0969da;--b:#bf8700;--card:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--grid:#30363d;--pass:#3fb950;--fail:#f85149;--skip:#6e7681;--a:#58a6ff;--b:#d29922;--card:#161b22}}
@media print{:root{--fg:#000;--bg:#fff;--grid:#ddd;--card:#fff}section{break-inside:avoid}}
body{font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:2rem auto;max-width:1180px;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--grid)}h3{font-size:1rem}
.verdict{font-weight:600;padding:.1rem .5rem;border-radius:4px;color:#fff}.verdict.passed{background:var(--pass)}.verdict.failed{background:var(--fail)}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--grid);vertical-align:top}
tr.failed td.status{color:var(--fail);font-weight:700}tr.passed td.status{color:var(--pass)}tr.skipped td.status{color:var(--skip)}
td.figures span{display:inline-block;margin-right:.6rem;color:var(--muted)}td.figures b{color:var(--fg)}
dl.env{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;background:var(--card);padding:.75rem 1rem;border-radius:6px}dt{color:var(--muted)}dd{margin:0}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;flex:1 1 360px;max-width:580px}svg.topology{max-width:760px}figcaption{color:var(--muted);font-size:.85rem}
svg{width:100%;height:auto;overflow:visible}svg text{fill:var(--fg);font-size:11px}.tick{fill:var(--muted)}.label{fill:var(--muted);font-size:11px}
.grid{stroke:var(--grid);stroke-width:1}.axis{stroke:var(--muted)}.bar{fill:var(--a)}.bar.tx,.key.tx{fill:var(--b);color:var(--b)}.key.rx{color:var(--a)}
.line{fill:none;stroke:var(--a);stroke-width:2}.line.p99,.dot.p99{stroke:var(--b);fill:var(--b)}.dot.p50{fill:var(--a)}.key.p50{color:var(--a)}.key.p99{color:var(--b)}
.marker line{stroke:var(--fail);stroke-dasharray:4 3}.marker text{fill:var(--fail)}
.topology .node rect{fill:var(--card);stroke:var(--muted)}.topology .name{font-weight:700}.topology .wire line{stroke:var(--a);stroke-width:2}.topology .wire.impaired line{stroke:var(--b);stroke-dasharray:6 3}
.note{color:var(--muted)}`;

export function renderHtmlReport(input: HtmlReportInput): string {
  const { report: r, bench, topology, environment: e } = input;
  const verdict = r
    ? `<span class="verdict ${r.passed ? 'passed' : 'failed'}">${r.passed ? 'passed' : 'failed'}</span> ${r.counts.passed} passed, ${r.counts.failed} failed, ${r.counts.skipped} skipped`
    : '';
  const accel =
    Object.entries(e.accel)
      .map(([node, a]) => `${node}: ${a}`)
      .join(', ') || 'none (no QEMU VM)';
  const apps = r
    ? r.apps
        .map(({ app, node, program, does }) => {
          const checks = r.checks.filter((c) => c.app === app);
          const rtt = rttOf(checks);
          // A report written before apps could forward has no does: they all echoed.
          const kind = does ?? 'echo';
          return `<section class="app" data-app="${esc(app)}" data-does="${kind}"><h3>${esc(app)} (${esc(program)}, ${kind === 'forward' ? 'forwarding' : 'echoing'} on ${esc(node)})</h3><div class="charts">${rtt ? rttCharts(app, rtt, TIMED[kind]) : '<p class="note">No latency check ran.</p>'}${queueBars(app, queuesOf(checks))}</div></section>`;
        })
        .join('')
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(input.title)}</title><style>${STYLE}</style></head>
<body>
<header><h1>${esc(input.title)}</h1><p>${verdict}</p></header>
<dl class="env"><dt>host</dt><dd>${esc(e.host)}, Linux ${esc(e.kernel)}, ${e.cpus} CPUs</dd><dt>accelerator</dt><dd>${esc(accel)}</dd><dt>image</dt><dd>${esc(e.image)}</dd><dt>DPDK</dt><dd>${esc(e.dpdk)}</dd><dt>lab</dt><dd>${esc(e.labVersion)}</dd><dt>generated</dt><dd>${esc(e.generatedAt)}</dd>${r?.evidence ? `<dt>evidence</dt><dd>${esc(r.evidence)}</dd>` : ''}</dl>
${r ? `<h2>Checks</h2>${checksTable(r)}<h2>Latency and queues</h2>${apps}` : ''}
${bench ? `<h2>Zero-loss throughput</h2>${benchCharts(bench)}` : ''}
<h2>Topology</h2>${topologySvg(topology)}
</body></html>
`;
}
