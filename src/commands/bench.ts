// lab bench: flags, the zero-loss table, JSON and CSV.
import { LabError } from '../errors.js';
import { writeAtomic } from '../host/files.js';
import { labBench, type BenchResult } from '../core/bench-apps.js';
import { reportEnvironment } from '../core/environment.js';
import { loadLab } from '../core/load.js';
import { topologyOf } from '../render/graph.js';
import { renderHtmlReport, TIMED } from '../verify/report-html.js';
import { MAX_FRAME_SIZE, MIN_FRAME_SIZE, RFC2544_SIZES } from '../verify/throughput.js';
import { print, table, type OutputOptions } from './output.js';
import { Steps } from './steps.js';
import { targetOf } from './target.js';

export interface BenchFlags extends OutputOptions {
  file: string;
  target?: string;
  sizes?: string | number;
  trial?: string | number;
  lossTolerance?: string | number;
  csv?: string;
  html?: string;
}

function usage(message: string, hint: string): LabError {
  return new LabError({ code: 'USAGE', message, hint });
}

/** "64,128,1518": frame sizes with FCS, as RFC 2544 counts them. */
export function parseSizes(text: string | number | undefined): number[] {
  if (text === undefined) return RFC2544_SIZES;
  const sizes = String(text)
    .split(',')
    .map((x) => x.trim());
  const bad = sizes.find((x) => !/^\d+$/.test(x) || Number(x) < MIN_FRAME_SIZE || Number(x) > MAX_FRAME_SIZE);
  if (bad !== undefined)
    throw usage(
      `--sizes: "${bad}" is not a frame size`,
      `Give whole numbers of bytes from ${MIN_FRAME_SIZE} to ${MAX_FRAME_SIZE} (with FCS), comma-separated, e.g. --sizes ${RFC2544_SIZES.join(',')}.`,
    );
  return [...new Set(sizes.map(Number))];
}

function parseNumber(
  flag: string,
  text: string | number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (String(text).trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw usage(`${flag}: "${text}" is out of range`, `Give a number from ${min} to ${max}.`);
  return n;
}

export function benchCsv(r: BenchResult): string {
  // Every field is a number or a name the schema limits to [a-z0-9_-]: nothing to quote.
  const rows = r.apps.flatMap((a) =>
    a.rows.map((x) =>
      [
        a.app,
        a.node,
        x.frame_size,
        x.rate_pps,
        x.mbps,
        x.rtt_us?.p50 ?? '',
        x.rtt_us?.p99 ?? '',
        x.limited_by ?? '',
        x.trials.length,
      ].join(','),
    ),
  );
  // The columns keep their names from before nodes were called nodes: a CSV is read by header.
  return `${['app', 'vm', 'frame_size', 'zero_loss_pps', 'mbit_s', 'rtt_p50_us', 'rtt_p99_us', 'limited_by', 'trials'].join(',')}\n${rows.join('\n')}\n`;
}

function benchTable(r: BenchResult): string {
  const loss = r.loss_tolerance ? `loss ≤ ${r.loss_tolerance * 100}%` : 'zero loss';
  return r.apps
    .map((a) =>
      [
        `${a.app} on ${a.node}: highest rate with ${loss} (RFC 2544 26.1), ${r.trial_s} s trials, ${r.flows} flows; sizes with FCS, Mbit/s of frame bits`,
        table(
          [
            'size B',
            'pps',
            'Mbit/s',
            `${TIMED[a.does].short} p50 µs`,
            `${TIMED[a.does].short} p99 µs`,
            'limited by',
            'trials',
          ],
          a.rows.map((x) => [
            String(x.frame_size),
            String(x.rate_pps),
            x.mbps.toFixed(2),
            x.rtt_us ? x.rtt_us.p50.toFixed(1) : '-',
            x.rtt_us ? x.rtt_us.p99.toFixed(1) : '-',
            x.limited_by ?? '-',
            String(x.trials.length),
          ]),
        ),
      ].join('\n'),
    )
    .join('\n\n');
}

export async function bench(app: string | undefined, opts: BenchFlags): Promise<void> {
  const o = {
    sizes: parseSizes(opts.sizes),
    trialS: parseNumber('--trial', opts.trial, 1, 0.1, 60),
    lossTolerance: parseNumber('--loss-tolerance', opts.lossTolerance, 0, 0, 100) / 100,
  };
  const lab = loadLab(opts.file, { force: true, target: targetOf(opts.target) });
  const r = await labBench(lab, app, o, new Steps());
  if (opts.csv) writeAtomic(opts.csv, benchCsv(r));
  if (opts.html)
    writeAtomic(
      opts.html,
      renderHtmlReport({
        title: `lab ${lab.name}: bench`,
        bench: r,
        topology: topologyOf(lab),
        environment: await reportEnvironment(lab),
      }),
    );
  print(opts, r, () => benchTable(r));
}
