// A spec in lab 0.1's words (vms, driver, host_ip, vm, host) still loads, with a warning at each
// word's file:line:col, and `lab migrate --write` rewrites it into one that loads without any,
// changing nothing else. JSON output keeps 0.1's keys beside today's; a 0.1 state still reads.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/core/load.js';
import type { LabPaths } from '../../src/layout.js';
import { readState } from '../../src/state/store.js';
import { lab, ROOT } from '../helpers/lab.js';

const OLD = join(ROOT, 'test', 'fixtures', 'old', 'lab-0.1.yaml');
const work = mkdtempSync(join(tmpdir(), 'lab-old-words-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The lines of `text` that hold `word` as a key or value, 1-based. */
function linesOf(text: string, pattern: RegExp): number[] {
  return text.split('\n').flatMap((l, i) => (pattern.test(l) ? [i + 1] : []));
}

describe('specs in the old words', () => {
  const text = readFileSync(OLD, 'utf8');

  it('validate, with a warning naming the new word at each old one', () => {
    const r = lab(['validate', '-f', OLD]);
    expect(r.status, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    const expected = [
      [linesOf(text, /^vms:/)[0], 'vms', 'nodes'],
      [linesOf(text, /^ {4}driver: qemu/)[0], 'driver', 'kind'],
      [linesOf(text, /host_ip:/)[0], 'host_ip', 'labns_ip'],
      [linesOf(text, /driver: vfio-pci/)[0], 'driver', 'os_driver_for_dpdk'],
      [linesOf(text, /^ {4}driver: netns/)[0], 'driver', 'kind'],
      [linesOf(text, /"host"/)[0], 'host', 'labns'],
      [linesOf(text, /^ {4}vm: dut/)[0], 'vm', 'node'],
      [linesOf(text, /from: host/)[0], 'host', 'labns'],
    ];
    expect(warnings).toHaveLength(expected.length);
    expected.forEach(([line, old, now], i) => {
      expect(warnings[i]).toMatch(new RegExp(`^warning: ${OLD}:${line}:\\d+: \\S+: "${old}" is now "${now}"$`));
    });
    expect(r.stderr, 'the first says how to rewrite the spec').toContain('lab migrate -f');
  });

  it('load as the same lab as the spec lab migrate writes', () => {
    const file = join(work, 'same.yaml');
    copyFileSync(OLD, file);
    expect(lab(['migrate', '-f', file, '--write']).status).toBe(0);
    const { warnings: oldWarnings, file: _a, ...before } = loadLab(OLD);
    const { warnings, file: _b, ...after } = loadLab(file);
    expect(oldWarnings.length).toBeGreaterThan(0);
    expect(warnings).toEqual([]);
    expect(after).toEqual(before);
  });

  it('lab migrate --write changes only the old words, and a second run changes nothing', () => {
    const file = join(work, 'migrate.yaml');
    copyFileSync(OLD, file);
    const r = lab(['migrate', '-f', file, '--write', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ written: true, changes: expect.any(Array) });
    const migrated = readFileSync(file, 'utf8');
    const was = text.split('\n');
    const now = migrated.split('\n');
    expect(now).toHaveLength(was.length);
    const changed = was.flatMap((l, i) => (l === now[i] ? [] : [[l, now[i]!]]));
    expect(changed).toHaveLength(8);
    for (const [before, after] of changed) {
      const undo = after!
        .replace('nodes', 'vms')
        .replace('kind', 'driver')
        .replace('os_driver_for_dpdk', 'driver')
        .replace('labns_ip', 'host_ip')
        .replace('node:', 'vm:')
        .replace('labns', 'host');
      expect(undo, 'only the word changed, comments and quoting kept').toBe(before);
    }
    const v = lab(['validate', '-f', file]);
    expect(v.status).toBe(0);
    expect(v.stderr).not.toContain('warning');

    const again = lab(['migrate', '-f', file, '--write']);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain("already uses today's words");
    expect(readFileSync(file, 'utf8')).toBe(migrated);
  });

  it('lab migrate without --write prints the spec and leaves the file alone', () => {
    const r = lab(['migrate', '-f', OLD]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\nnodes:\n');
    expect(readFileSync(OLD, 'utf8')).toBe(text);
  });
});

describe("0.1's JSON and state", () => {
  it('JSON output carries the old keys beside the new ones', () => {
    const r = lab(['validate', '-f', join(ROOT, 'examples', 'netns.yaml'), '--json']);
    const out = JSON.parse(r.stdout);
    expect(out.lab.vms).toEqual(out.lab.nodes);
    expect(out.lab.nodes[0]).toMatchObject({ kind: 'netns', driver: 'netns' });
    expect(out.lab.nodes[0].nics[0]).toMatchObject({ labns_ip: '10.11.0.1', host_ip: '10.11.0.1' });
    expect(out.lab.apps[0]).toMatchObject({ node: 'dut', vm: 'dut' });
  });

  it('a state written by lab 0.1 reads in the new words', () => {
    // Written by lab at 9eb993f: `lab up -f examples/netns.yaml` and `lab run l2_echo --detach`.
    const paths = { root: work, state: join(ROOT, 'test', 'fixtures', 'old', 'state-0.1.json') } as LabPaths;
    const state = readState(paths)!;
    expect(Object.keys(state.nodes)).toEqual(['dut']);
    expect(state.nodes.dut!.kind).toBe('netns');
    expect(state.apps.l2_echo!.node).toBe('dut');
    expect('vms' in state).toBe(false);
  });

  it("a 0.1 state folder's vms/ moves to nodes/ on first read, its files kept", () => {
    const root = mkdtempSync(join(work, 'root-'));
    mkdirSync(join(root, 'vms', 'dut'), { recursive: true });
    writeFileSync(join(root, 'vms', 'dut', 'qemu.pid'), '123\n');
    copyFileSync(join(ROOT, 'test', 'fixtures', 'old', 'state-0.1.json'), join(root, 'state.json'));
    readState({ root, state: join(root, 'state.json') } as LabPaths);
    expect(existsSync(join(root, 'vms'))).toBe(false);
    expect(readFileSync(join(root, 'nodes', 'dut', 'qemu.pid'), 'utf8')).toBe('123\n');
  });
});
