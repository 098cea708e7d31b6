// The code is kept uniform by Prettier and ESLint (.prettierrc.json, eslint.config.js): the tree
// passes both, and both catch what they are for, a misformatted file and a promise nobody awaits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/lab.js';

const bin = (pkg: string, file: string) => join(ROOT, 'node_modules', pkg, 'bin', file);
const PRETTIER = bin('prettier', 'prettier.cjs');
const ESLINT = bin('eslint', 'eslint.js');

function run(argv: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

// Planted files live inside the project (ESLint's type-aware rules need them in tsconfig.test.json's
// reach), in a folder of their own that is removed afterwards.
const planted = mkdtempSync(join(ROOT, 'test', 'unit', 'planted-'));
afterAll(() => rmSync(planted, { recursive: true, force: true }));

describe('formatting and lint', () => {
  it('the tree is formatted by Prettier', () => {
    const r = run([PRETTIER, '--check', '.']);
    expect(r.status, r.out).toBe(0);
  }, 120_000);

  it('the tree passes ESLint, type-aware promise rules included', () => {
    const r = run([ESLINT, '.']);
    expect(r.status, r.out).toBe(0);
  }, 120_000);

  it('fail on a misformatted file and on a floating promise', () => {
    const ugly = join(planted, 'ugly.ts');
    writeFileSync(ugly, 'export const x = {a:1,\n b:2}\n');
    // .gitignore keeps planted folders out of git, and Prettier honours it: name only its own ignore file.
    expect(run([PRETTIER, '--check', '--ignore-path', '.prettierignore', ugly]).status).not.toBe(0);

    const floating = join(planted, 'floating.ts');
    writeFileSync(floating, 'async function work(): Promise<void> {}\nexport function go(): void {\n  work();\n}\n');
    const r = run([ESLINT, '--no-ignore', floating]);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('@typescript-eslint/no-floating-promises');
  }, 120_000);
});
