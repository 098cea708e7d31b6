// The spec's words before nodes were called nodes (lab 0.1): vms, a node's driver, a NIC's driver
// and host_ip, an app's vm, and host for the lab namespace. A spec that still says them loads: each
// is renamed in the parsed document, in place, and said as a warning at its file:line:col. `lab
// migrate --write` saves the same renamed document, so comments, order and quoting are kept.
import { isMap, isPair, isScalar, isSeq, type Document, type Pair, type YAMLMap } from 'yaml';
import type { PathSegment } from './path.js';

export interface OldWord {
  /** Where the old word is written, as an offset into the text. */
  offset: number;
  path: PathSegment[];
  old: string;
  now: string;
}

/** Renames every old word in the document; what it renamed, in document order. */
export function renameOldWords(doc: Document): OldWord[] {
  const found: OldWord[] = [];
  const root = doc.contents;
  if (!isMap(root)) return found;
  renameKey(root, 'vms', 'nodes', [], found);
  forEachEntry(root, 'nodes', (node, name) => {
    renameKey(node, 'driver', 'kind', ['nodes', name], found);
    const nics = node.get('nics');
    if (!isSeq(nics)) return;
    nics.items.forEach((nic, i) => {
      if (!isMap(nic)) return;
      const at = ['nodes', name, 'nics', i];
      renameKey(nic, 'driver', 'os_driver_for_dpdk', at, found);
      renameKey(nic, 'host_ip', 'labns_ip', at, found);
    });
  });
  forEachEntry(root, 'apps', (app, name) => renameKey(app, 'vm', 'node', ['apps', name], found));
  const links = root.get('links');
  if (isSeq(links)) {
    links.items.forEach((link, i) => {
      const ends = isMap(link) ? link.get('endpoints') : undefined;
      if (!isSeq(ends)) return;
      ends.items.forEach((end, j) => renameValue(end, ['links', i, 'endpoints', j], found));
    });
  }
  const verify = root.get('verify');
  if (isMap(verify)) {
    const from = verify.items.find((p) => keyOf(p) === 'from');
    if (from) renameValue(from.value, ['verify', 'from'], found);
  }
  return found.sort((a, b) => a.offset - b.offset);
}

function keyOf(pair: Pair<unknown, unknown>): string | undefined {
  return isPair(pair) && isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function forEachEntry(root: YAMLMap, key: string, fn: (value: YAMLMap, name: string) => void): void {
  const map = root.get(key);
  if (!isMap(map)) return;
  for (const pair of map.items) {
    const name = keyOf(pair);
    if (name !== undefined && isMap(pair.value)) fn(pair.value, name);
  }
}

/** Renames a key where the new one is not also written (then the schema says which is extra). */
function renameKey(map: YAMLMap, old: string, now: string, at: PathSegment[], found: OldWord[]): void {
  const pair = map.items.find((p) => keyOf(p) === old);
  if (!pair || map.items.some((p) => keyOf(p) === now) || !isScalar(pair.key)) return;
  found.push({ offset: pair.key.range?.[0] ?? 0, path: [...at, old], old, now });
  pair.key.value = now;
}

/** The lab namespace was called host, as a link end and as verify.from. */
function renameValue(node: unknown, at: PathSegment[], found: OldWord[]): void {
  if (!isScalar(node) || node.value !== 'host') return;
  found.push({ offset: node.range?.[0] ?? 0, path: at, old: 'host', now: 'labns' });
  node.value = 'labns';
}

/**
 * The spec's text in today's words: each old word replaced where it is written, so everything else
 * (comments, order, quoting, blank lines) stays byte for byte.
 */
export function spliceOldWords(text: string, words: readonly OldWord[]): string {
  let out = '';
  let from = 0;
  for (const w of words) {
    const quote = /^["']/.test(text.slice(w.offset, w.offset + 1)) ? 1 : 0;
    const start = w.offset + quote;
    if (text.slice(start, start + w.old.length) !== w.old) continue;
    out += text.slice(from, start) + w.now;
    from = start + w.old.length;
  }
  return out + text.slice(from);
}
