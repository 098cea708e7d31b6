// The layer rules (.dependency-cruiser.cjs) hold for src/, and they catch what they are for: an
// import that runs up the floors, one node kind reaching into another, a process started outside
// host/exec.ts, a cycle.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/lab.js';

const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Cruises `src` under `cwd` with the project's rules; the violations dependency-cruiser found. */
function cruise(cwd: string): { violations: Violation[]; modules: number } {
  const r = spawnSync(
    process.execPath,
    [DEPCRUISE, 'src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'],
    { cwd, encoding: 'utf8', timeout: 60_000 },
  );
  if (!r.stdout) throw new Error(`dependency-cruiser printed nothing (exit ${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { summary: { violations: Violation[] }; modules: Array<{ source: string }> };
  return { violations: out.summary.violations, modules: out.modules.filter((m) => m.source.startsWith('src/')).length };
}

const fixture = mkdtempSync(join(tmpdir(), 'lab-layers-'));
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(fixture, path)), { recursive: true });
  writeFileSync(join(fixture, path), text);
}

describe('the layer rules', () => {
  it('hold for src/: no import runs up the floors, no cycle, one kind per driver folder', () => {
    const { violations, modules } = cruise(ROOT);
    expect(modules, 'every module was cruised').toBeGreaterThan(50);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 30_000);

  it('fail on an upward import, a driver reaching into another, a node or wire kind imported past its registry or reaching into another kind, a process started elsewhere, and a cycle', () => {
    copyFileSync(join(ROOT, 'tsconfig.json'), join(fixture, 'tsconfig.json'));
    write('src/errors.ts', 'export const E = 1;\n');
    write('src/commands/output.ts', "import { E } from '../errors.js';\nexport const print = E;\n");
    write('src/host/exec.ts', "import { spawn } from 'node:child_process';\nexport const run = spawn;\n");
    write('src/host/lock.ts', "import { print } from '../commands/output.js';\nexport const lock = print;\n");
    write('src/nodes/qemu/driver.ts', "import { ns } from '../netns/driver.js';\nexport const q = ns;\n");
    write(
      'src/nodes/netns/driver.ts',
      "import { spawnSync } from 'node:child_process';\nexport const ns = spawnSync;\n",
    );
    write('src/core/snapshots.ts', "import { q } from '../nodes/qemu/driver.js';\nexport const s = q;\n");
    write('src/nodes/registry.ts', "import { q } from './qemu/driver.js';\nexport const r = q;\n");
    write('src/wires/veth/veth.ts', "import { b } from '../bridge/bridge.js';\nexport const v = b;\n");
    write('src/wires/bridge/bridge.ts', 'export const b = 1;\n');
    write('src/core/up.ts', "import { v } from '../wires/veth/veth.js';\nexport const u = v;\n");
    write('src/config/a.ts', "import { b } from './b.js';\nexport const a = b;\n");
    write('src/config/b.ts', "import { a } from './a.js';\nexport const b = () => a;\n");
    const found = cruise(fixture).violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'host-imports-only-base: src/host/lock.ts → src/commands/output.ts',
        'one-node-kind-per-folder: src/nodes/qemu/driver.ts → src/nodes/netns/driver.ts',
        'processes-start-in-host-exec: src/nodes/netns/driver.ts → child_process',
        'node-kinds-only-through-the-registry: src/core/snapshots.ts → src/nodes/qemu/driver.ts',
        'one-wire-kind-per-folder: src/wires/veth/veth.ts → src/wires/bridge/bridge.ts',
        'wire-kinds-only-through-the-registry: src/core/up.ts → src/wires/veth/veth.ts',
      ]),
    );
    expect(
      found.some((f) => f.includes('src/nodes/registry.ts →')),
      'the registry may import the kinds',
    ).toBe(false);
    expect(found.some((f) => f.startsWith('no-circular: src/config/'))).toBe(true);
    expect(
      found.some((f) => f.includes('src/host/exec.ts →')),
      'host/exec.ts may start processes',
    ).toBe(false);
  });
});
