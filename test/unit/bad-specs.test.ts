// Every spec in test/fixtures/bad/ must be rejected, naming the field and the line its header expects.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLab } from '../../src/core/load.js';
import { problemsOf, ROOT } from '../helpers/lab.js';

const DIR = join(ROOT, 'test', 'fixtures', 'bad');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function expectation(text: string, key: string): string {
  const m = new RegExp(`^# expect-${key}: (.*)$`, 'm').exec(text);
  if (!m) throw new Error(`fixture has no "# expect-${key}:" line`);
  return m[1]!.trim();
}

describe('bad specs', () => {
  it('has a corpus of at least 30', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures)('%s is rejected at the expected field and line', (name) => {
    const file = join(DIR, name);
    const text = readFileSync(file, 'utf8');
    const path = expectation(text, 'path');
    const line = expectation(text, 'line');
    const message = expectation(text, 'message');

    const problems = problemsOf(() => loadLab(file));
    const match = problems.find(
      (p) =>
        (path === '(none)' ? p.path === undefined : p.path === path) &&
        (line === 'any' || p.location?.line === Number(line)),
    );
    expect(
      match,
      `problems were:\n${problems.map((p) => `${p.path}@${p.location?.line}: ${p.message}`).join('\n')}`,
    ).toBeDefined();
    expect(match!.message).toContain(message);
    expect(match!.location?.file).toBe(file);
    expect(match!.location?.col).toBeGreaterThan(0);
  });
});
