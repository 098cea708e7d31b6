// --evidence DIR replaces an earlier bundle of lab's, and nothing else: a folder of the user's that
// happens to hold a manifest.json (a web app, a browser extension) is refused and left as it was.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimEvidenceDir } from '../../src/core/evidence.js';

const root = mkdtempSync(join(tmpdir(), 'lab-evidence-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const bundle = (items: Array<{ path: string; missing?: string }>) =>
  JSON.stringify({ lab: 'echo', createdAt: '2026-12-02T10:00:00.000Z', reason: 'asked for', failed: [], items });

describe('the --evidence folder', () => {
  it('may be new, or empty', () => {
    expect(() => claimEvidenceDir(join(root, 'absent'))).not.toThrow();
    expect(() => claimEvidenceDir(folder('empty', {}))).not.toThrow();
  });

  it("may be an earlier bundle of lab's, holding only what its manifest lists", () => {
    const dir = folder('earlier', {
      'manifest.json': bundle([
        { path: 'report.json' },
        { path: 'apps/a/app.log' },
        { path: 'nodes/dut/dmesg.log', missing: 'no guest' },
      ]),
      'report.json': '{}',
      'apps/a/app.log': 'x',
    });
    expect(() => claimEvidenceDir(dir)).not.toThrow();
  });

  it.each([
    [
      'a web app with its manifest.json',
      { 'manifest.json': '{"name":"my app","start_url":"/"}', 'index.html': '<html></html>', 'src/app.js': 'x' },
    ],
    [
      "a bundle with a file of the user's added",
      { 'manifest.json': bundle([{ path: 'report.json' }]), 'report.json': '{}', 'notes.txt': 'mine' },
    ],
    ['a manifest.json that is not JSON', { 'manifest.json': 'not json' }],
    [
      'a bundle whose manifest says a file is missing, and the file is there',
      { 'manifest.json': bundle([{ path: 'dmesg.log', missing: 'no guest' }]), 'dmesg.log': 'mine' },
    ],
  ])('is refused when it is %s, and keeps every file', (label, files) => {
    const dir = folder(label.replace(/\W+/g, '-'), files);
    expect(() => claimEvidenceDir(dir)).toThrow(/is not an evidence bundle of lab's/);
    for (const [path, content] of Object.entries(files)) expect(readFileSync(join(dir, path), 'utf8')).toBe(content);
  });

  it('is refused when it is a file', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'mine');
    expect(() => claimEvidenceDir(file)).toThrow(/is not a folder/);
    expect(existsSync(file)).toBe(true);
  });
});
