// A YAML document that remembers where every value came from, so errors can name file:line:col.
import { readFileSync } from 'node:fs';
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { LabError, type Location, type Problem } from '../errors.js';

export type PathSegment = string | number;

export interface SpecSource {
  file: string;
  data: unknown;
  /** Where the value at `path` is written; for a missing value, the nearest parent that exists. */
  locate(path: PathSegment[], key?: string): Location;
}

export function readSpecFile(file: string): SpecSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new LabError({ code: 'SPEC_FILE', message: `cannot read the lab spec: ${reason}`, location: { file, line: 1, col: 1 }, hint: 'Pass the spec with -f FILE (default: lab.yaml in the current folder).' });
  }
  return parseSpec(text, file);
}

export function parseSpec(text: string, file: string): SpecSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const at = (offset: number): Location => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const yamlProblems: Problem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    code: 'SPEC_YAML',
    message: `YAML: ${e.message.split('\n')[0]}`,
    location: at(e.pos[0]),
  }));
  if (yamlProblems.length) throw new LabError(yamlProblems);

  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new LabError({ code: 'SPEC_YAML', message: 'the spec must be a YAML mapping (name:, vms:, apps:, …)', location: at(0) });
  }
  return {
    file,
    data,
    locate: (path, key) => at(offsetOf(doc, path, key)),
  };
}

function offsetOf(doc: Document, path: PathSegment[], key?: string): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const segment of [...path, ...(key === undefined ? [] : [key])]) {
    const next = child(node, segment, segment === key);
    if (next === undefined) break;
    node = next;
    offset = rangeStart(node) ?? offset;
  }
  return offset ?? 0;
}

/** The node for a segment; for an unknown key, the key itself, so the error points at the typo. */
function child(node: unknown, segment: PathSegment, wantKey: boolean): unknown {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
    if (!pair) return undefined;
    return wantKey || pair.value === null ? pair.key : pair.value;
  }
  if (isSeq(node) && typeof segment === 'number') return node.items[segment];
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) ? (node as Node).range?.[0] : undefined;
}

/** vms.dut.nics[0].queues — the way a person reads a path into their spec. */
export function formatPath(path: PathSegment[]): string {
  return path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), '');
}
