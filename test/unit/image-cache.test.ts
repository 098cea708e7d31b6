// lab images: listing the cache and pruning it, on a cache made up in a temporary folder.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leftoverDpdkCopies } from '../../src/image/dpdk-build.js';
import { imagePlan } from '../../src/image/recipe.js';
import { lab, labFrom, MINIMAL } from '../helpers/lab.js';

let home = '';
let env: NodeJS.ProcessEnv = {};
let root = '';
let spec = '';
let held: number | undefined;

/** A cache entry: a folder with a disk, and a manifest when complete. */
function entry(name: string, complete: boolean): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'disk.img'), Buffer.alloc(64 * 1024, 1));
  if (complete)
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ kind: 'download', builtAt: '2026-01-01T00:00:00.000Z' }),
    );
  return dir;
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lab-images-'));
  env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache') };
  root = join(home, 'cache', 'lab', 'images');
  spec = join(home, 'lab.yaml');
  writeFileSync(spec, MINIMAL);
});
afterEach(() => {
  if (held !== undefined) closeSync(held);
  held = undefined;
  rmSync(home, { recursive: true, force: true });
});

/** A PID that has surely exited: a child we ran to completion. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('lab images', () => {
  it("prune keeps the spec's image, one a process has open and one being built; removes the rest", () => {
    const wanted = imagePlan(labFrom(MINIMAL, spec), root).dir;
    entry(wanted.slice(root.length + 1), true);
    const stale = entry(`sha256-${'a'.repeat(64)}`, true);
    const open = entry(`sha256-${'b'.repeat(64)}`, true);
    held = openSync(join(open, 'disk.img'), 'r');
    const partial = entry(`sha256-${'c'.repeat(64)}.tmp-${deadPid()}`, false);
    const building = entry(`sha256-${'d'.repeat(64)}.tmp-${process.pid}`, false);

    const listed = lab(['images', '-f', spec, '--json'], home, 60_000, env);
    expect(listed.status, listed.stderr).toBe(0);
    const states = (JSON.parse(listed.stdout) as { images: Array<{ dir: string; state: string; openBy: number[] }> })
      .images;
    expect(Object.fromEntries(states.map((e) => [e.dir, e.state]))).toEqual({
      [wanted]: 'complete',
      [stale]: 'complete',
      [open]: 'complete',
      [partial]: 'partial',
      [building]: 'building',
    });
    expect(states.find((e) => e.dir === open)!.openBy).toContain(process.pid);

    const pruned = lab(['images', 'prune', '-f', spec], home, 60_000, env);
    expect(pruned.status, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain(`(in use by pid ${process.pid})`);
    expect(pruned.stdout).toContain('(the spec uses it)');
    expect(pruned.stdout).toContain('(being built)');
    expect([wanted, stale, open, partial, building].map(existsSync)).toEqual([true, false, true, false, true]);

    const all = lab(['images', 'prune', '--all', '-f', spec], home, 60_000, env);
    expect(all.status, all.stderr).toBe(0);
    expect([wanted, open, building].map(existsSync)).toEqual([false, true, true]);
  }, 30_000);

  it('prune without a spec asks for one, or --all, and removes nothing', () => {
    const stale = entry(`sha256-${'a'.repeat(64)}`, true);
    const r = lab(['images', 'prune', '-f', join(home, 'none.yaml')], home, 60_000, env);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Name the spec with -f, or pass --all');
    expect(existsSync(stale)).toBe(true);
  });

  it('an unknown action is a usage error', () => {
    const r = lab(['images', 'purge'], home, 60_000, env);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown action "purge"');
  });
});

describe('leftover copies of a DPDK build', () => {
  it('are the ones whose process is gone; a finished build or a copy in progress is not one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-dpdk-leftover-'));
    try {
      for (const f of [
        'dpdk-22.11-ab.tar',
        'dpdk-22.11-ab.tar.tmp-999999-0a1b',
        `dpdk-22.11-ab.tar.tmp-${process.pid}-2c3d`,
      ])
        writeFileSync(join(dir, f), 'x');
      const left = leftoverDpdkCopies(dir, (pid) => pid === process.pid);
      expect(left.map((e) => e.file)).toEqual([join(dir, 'dpdk-22.11-ab.tar.tmp-999999-0a1b')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
