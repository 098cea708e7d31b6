// Output in one shape for every command: a human text, or the same facts as JSON with --json.
import { withLegacyKeys } from '../legacy-keys.js';

export interface OutputOptions {
  json?: boolean;
}

export function print(opts: OutputOptions, data: unknown, human: () => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(withLegacyKeys(data), null, 2)}\n` : `${human()}\n`);
}

/** Progress for long work goes to stderr, so stdout stays clean for --json. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** A Markdown-style table: aligned columns with a header rule, readable as text and as Markdown. */
export function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}
