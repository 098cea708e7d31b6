// lab graph: the topology from the spec alone, as Mermaid, DOT, JSON or (with Graphviz) SVG.
import { LabError } from '../errors.js';
import { run, which } from '../host/exec.js';
import { loadLab } from '../core/load.js';
import { graphDot, graphMermaid, topologyOf } from '../render/graph.js';

const FORMATS = ['mermaid', 'dot', 'json', 'svg'] as const;

export async function graph(opts: { file: string; format?: string }): Promise<void> {
  const format = opts.format ?? 'mermaid';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new LabError({
      code: 'USAGE',
      message: `--format ${format} is not a graph format`,
      hint: `Use one of ${FORMATS.join(', ')}.`,
    });
  }
  const g = topologyOf(loadLab(opts.file));
  if (format === 'json') return void process.stdout.write(`${JSON.stringify(g, null, 2)}\n`);
  if (format === 'mermaid') return void process.stdout.write(graphMermaid(g));
  if (format === 'dot') return void process.stdout.write(graphDot(g));
  if (!(await which('dot'))) {
    throw new LabError({
      code: 'ENV_TOOL',
      message: "--format svg needs Graphviz's dot, which is not installed",
      hint: 'Install it with `apt-get install graphviz`, or use --format dot and render it elsewhere.',
    });
  }
  process.stdout.write(
    (await run(['dot', '-Tsvg'], { input: graphDot(g), what: 'dot -Tsvg', timeoutMs: 30_000 })).stdout,
  );
}
