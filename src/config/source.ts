// A YAML document that remembers where every value came from, so errors can name file:line:col.
import { readFileSync, statSync } from 'node:fs';
import {
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { LabError, type Location, type Problem } from '../errors.js';
import { renameOldWords, type OldWord } from './old-words.js';
import { formatPath, type PathSegment } from './path.js';

export interface SpecSource {
  file: string;
  data: unknown;
  /** Words of lab 0.1 the spec still uses, each renamed to today's and said where. */
  warnings: Problem[];
  /** Where the value at `path` is written; for a missing value, the nearest parent that exists. */
  locate(path: PathSegment[], key?: string): Location;
}

/** A lab spec is a few kilobytes; anything near this is not one, and parsing it would only burn time and memory. */
export const MAX_SPEC_BYTES = 1024 * 1024;

/** Aliases a spec may expand: enough for shared NIC settings, far too few for a "billion laughs". */
const MAX_ALIAS_COUNT = 100;

function tooLarge(file: string, bytes: number): LabError {
  return new LabError({
    code: 'SPEC_FILE',
    message: `the spec is ${(bytes / 1024).toFixed(0)} KiB; a lab spec may be at most ${MAX_SPEC_BYTES / 1024} KiB`,
    location: { file, line: 1, col: 1 },
    hint: 'Is -f pointing at the right file?',
  });
}

export function readSpecFile(file: string): SpecSource {
  return parseSpec(readSpecText(file), file);
}

/** The spec's text, refused when missing or too large to be a spec. */
export function readSpecText(file: string): string {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_SPEC_BYTES) throw tooLarge(file, size);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof LabError) throw err;
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new LabError({
      code: 'SPEC_FILE',
      message: `cannot read the lab spec: ${reason}`,
      location: { file, line: 1, col: 1 },
      hint: 'Pass the spec with -f FILE (default: lab.yaml in the current folder).',
    });
  }
  return text;
}

/** The old words a spec's text uses, found by the same parse lab loads it with. */
export function oldWordsOf(text: string, file: string): OldWord[] {
  return renameOldWords(parseYaml(text, file).doc);
}

export function parseSpec(text: string, file: string): SpecSource {
  const { doc, at } = parseYaml(text, file);
  const warnings = renameOldWords(doc).map((w): Problem => ({
    code: 'SPEC_OLD_WORD',
    message: `"${w.old}" is now "${w.now}"`,
    path: formatPath(w.path),
    location: at(w.offset),
    hint: '`lab migrate -f FILE --write` rewrites the spec in the new words, comments kept.',
  }));
  return { file, data: toData(doc, at), warnings, locate: (path, key) => at(offsetOf(doc, path, key)) };
}

/** Parses with positions and refuses what is not well-formed YAML of a sane size. */
function parseYaml(text: string, file: string): { doc: Document; at: (offset: number) => Location } {
  if (Buffer.byteLength(text) > MAX_SPEC_BYTES) throw tooLarge(file, Buffer.byteLength(text));
  const lines = new LineCounter();
  // The yaml package's own uniqueKeys compares every pair of keys in a mapping; a spec of thousands
  // of nodes took a second there, so duplicateKeys() does it with a set.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, strict: true });
  const at = (offset: number): Location => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const yamlProblems: Problem[] = [
    ...[...doc.errors, ...doc.warnings].map((e) => ({
      code: 'SPEC_YAML' as const,
      message: `YAML: ${yamlMessage(e.message)}`,
      location: at(e.pos[0]),
    })),
    ...duplicateKeys(doc).map((d) => ({
      code: 'SPEC_YAML' as const,
      message: `YAML: the key "${d.key}" is written twice in one mapping`,
      location: at(d.offset),
    })),
  ];
  if (yamlProblems.length) throw new LabError(yamlProblems);
  return { doc, at };
}

function toData(doc: Document, at: (offset: number) => Location): object {
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The yaml package refuses aliases that expand too far (a "billion laughs"), or that name no anchor, with a ReferenceError.
    if (!(err instanceof ReferenceError)) throw err;
    const bomb = /Excessive alias count/.test(err.message);
    throw new LabError({
      code: 'SPEC_YAML',
      message: `YAML: ${bomb ? `the aliases (*name) expand too far: more than ${MAX_ALIAS_COUNT} copies of anchored values` : err.message}`,
      location: at(firstAliasOffset(doc)),
      ...(bomb ? { hint: 'A lab spec needs at most a few aliases; write the values out.' } : {}),
    });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new LabError({
      code: 'SPEC_YAML',
      message: 'the spec must be a YAML mapping (name:, nodes:, apps:, …)',
      location: at(rangeStart(doc.contents) ?? 0),
    });
  }
  return data;
}

/** The yaml package reports a stack overflow from nesting as a parse error; say what it means. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0]!;
  return /Maximum call stack/.test(first) ? 'the document nests too deeply' : first;
}

function duplicateKeys(doc: Document): Array<{ key: string; offset: number }> {
  const out: Array<{ key: string; offset: number }> = [];
  visit(doc, {
    Map(_key, node) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (seen.has(key)) out.push({ key, offset: rangeStart(pair.key) ?? 0 });
        seen.add(key);
      }
    },
  });
  return out;
}

function firstAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function offsetOf(doc: Document, path: PathSegment[], key?: string): number {
  const segments = key === undefined ? path : [...path, key];
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [i, segment] of segments.entries()) {
    const found = lookup(node, segment);
    if (!found) break;
    node = found.value;
    offset = rangeStart(pointAt(found, key !== undefined && i === segments.length - 1)) ?? offset;
  }
  return offset;
}

interface Entry {
  key?: unknown;
  value: unknown;
}

function lookup(node: unknown, segment: PathSegment): Entry | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
    return pair ? { key: pair.key, value: pair.value } : undefined;
  }
  if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) return { value: node.items[segment] };
  return undefined;
}

/**
 * Where to point for an entry. A scalar: at its value (the exact column of what is wrong).
 * A mapping or list: at its key, the line a person reads as "that field". An unknown key: at the key.
 */
function pointAt(entry: Entry, wantKey: boolean): unknown {
  if (entry.key !== undefined && (wantKey || !isScalar(entry.value))) return entry.key;
  return entry.value;
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) ? (node as Node).range?.[0] : undefined;
}
