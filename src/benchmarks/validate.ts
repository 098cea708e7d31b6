// npm run bench:validate — how long `lab validate` takes on a spec at the 1 MiB limit: one of many
// linked nodes that is valid, and one where every node has a mistake (so every problem is located
// and reported). Runs the CLI as a user does; interleaved rounds; prints median and range, asserts nothing.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../assets.js';
import { runQuiet } from '../host/exec.js';
import { MAX_SPEC_BYTES } from '../config/source.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);

const nodeName = (i: number) => `n${i.toString(36).padStart(5, '0')}`;

/** A linked pair of nodes on a /30 of their own; broken, both ends get the same address. */
function pair(k: number, broken: boolean): { nodes: string; link: string } {
  const base = 4 * k;
  const ip = (host: number) => `10.${(base >> 16) & 255}.${(base >> 8) & 255}.${(base & 255) + host}/30`;
  // MACs of their own: the derived ones are 24 bits of a hash, which thousands of NICs would share.
  const mac = (i: number) =>
    `02:00:${[24, 16, 8, 0].map((b) => ((i >>> b) & 255).toString(16).padStart(2, '0')).join(':')}`;
  const node = (i: number, host: number) =>
    `  ${nodeName(i)}:\n    driver: netns\n    nics: [{ name: dp0, mac: "${mac(i)}", ip: ${ip(host)} }]\n`;
  return {
    nodes: node(2 * k, 1) + node(2 * k + 1, broken ? 1 : 2),
    link: `  - endpoints: [${nodeName(2 * k)}.dp0, ${nodeName(2 * k + 1)}.dp0]\n`,
  };
}

/** As many pairs as fit under the spec size limit. */
function spec(broken: boolean): string {
  let nodes = 'name: big\nvms:\n';
  let links = 'links:\n';
  for (let k = 0; ; k++) {
    const p = pair(k, broken);
    if (Buffer.byteLength(nodes + p.nodes + links + p.link) > MAX_SPEC_BYTES - 64) return nodes + links;
    nodes += p.nodes;
    links += p.link;
  }
}

const work = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'lab-bench-validate-'));
try {
  const files = { valid: join(work, 'valid.yaml'), broken: join(work, 'broken.yaml') };
  writeFileSync(files.valid, spec(false));
  writeFileSync(files.broken, spec(true));
  const times: Record<string, number[]> = { valid: [], broken: [] };
  const exits: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [kind, file] of Object.entries(files)) {
      const t = performance.now();
      const r = await runQuiet(['node', packagePath('bin', 'lab.js'), 'validate', '-f', file, '--json'], {
        timeoutMs: 300_000,
      });
      times[kind]!.push((performance.now() - t) / 1000);
      exits[kind] = r.exitCode ?? -1;
    }
  }
  for (const [kind, file] of Object.entries(files)) {
    const sorted = [...times[kind]!].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `${kind.padEnd(7)} ${(statSync(file).size / 1024).toFixed(0)} KiB  exit ${exits[kind]}  median ${median.toFixed(2)} s  range ${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)} s  (${ROUNDS} rounds)`,
    );
  }
} finally {
  if (!process.env.BENCH_DIR) rmSync(work, { recursive: true, force: true });
}
