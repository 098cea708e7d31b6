// lab init: each starter shape passes the loader lab validate uses, points editors at the schema,
// and an existing file is never touched.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labInit } from '../../src/core/init.js';
import { loadLab } from '../../src/core/load.js';
import { LabError } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'lab-init-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lab init', () => {
  for (const kind of ['netns', 'qemu'])
    for (const tester of [false, true])
      it(`writes a ${kind} starter${tester ? ' with a tester node' : ''} that validates`, () => {
        const file = join(work, `${kind}-${tester}.yaml`);
        const r = labInit(file, { kind, tester });
        const lab = loadLab(file);
        expect(lab.warnings).toEqual([]);
        expect(lab.nodes.map((n) => [n.name, n.kind])).toEqual([
          ['dut', kind],
          ...(tester ? [['tester', 'netns']] : []),
        ]);
        expect(lab.verify.from).toBe(tester ? 'tester' : 'labns');
        expect(lab.apps.map((a) => a.name)).toEqual(['l2_echo', 'l2_multi_echo']);
        const schema = /^# yaml-language-server: \$schema=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
        expect(schema && existsSync(schema), 'the schema line names the schema file').toBe(true);
        expect(r.name, "the folder's name, made a lab name").toMatch(/^lab-init-[a-z0-9]+$/);
      });

  it('never overwrites a file, and leaves it as it was', () => {
    const file = join(work, 'mine.yaml');
    writeFileSync(file, 'name: mine\n');
    expect(() => labInit(file, {})).toThrow(/exists: lab init never overwrites/);
    expect(readFileSync(file, 'utf8')).toBe('name: mine\n');
  });

  it('refuses an unknown kind and a name the schema refuses, writing nothing', () => {
    const file = join(work, 'bad.yaml');
    expect(() => labInit(file, { kind: 'vm' })).toThrow(/--kind vm/);
    try {
      labInit(file, { name: 'Bad_' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(LabError);
      expect((err as LabError).exitCode).toBe(2);
      expect((err as LabError).problems[0]!.message).toMatch(/^--name Bad_: /);
    }
    expect(existsSync(file)).toBe(false);
  });

  it('names the lab for its folder where that is a lab name, else "lab"', () => {
    const odd = join(work, '42 Fast_Path!');
    mkdirSync(odd);
    expect(labInit(join(odd, 'lab.yaml'), {}).name).toBe('fast-path');
    const digits = join(work, '123');
    mkdirSync(digits);
    expect(labInit(join(digits, 'lab.yaml'), {}).name).toBe('lab');
  });
});
