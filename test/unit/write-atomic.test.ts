// writeAtomic as root on a shared machine: a link planted where lab writes is replaced, never
// written through, and a failed write leaves neither the file nor its temporary behind.
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAtomic } from '../../src/host/files.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeAtomic', () => {
  it('replaces a link planted at the target with the file, and leaves what the link named as it was', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious');
    const target = join(dir, 'state.json');
    symlinkSync(victim, target);
    writeAtomic(target, '{"ok":true}\n', 0o600);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('{"ok":true}\n');
    expect(lstatSync(target).mode & 0o777).toBe(0o600);
  });

  it('never writes through a link planted at a temporary name it could have used', () => {
    const victim = join(dir, 'victim2');
    writeFileSync(victim, 'precious');
    const target = join(dir, 'out.csv');
    // The name a writer keyed by PID alone would use: guessable by anyone who can list processes.
    symlinkSync(victim, `${target}.tmp-${process.pid}`);
    writeAtomic(target, 'rows\n');
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readFileSync(target, 'utf8')).toBe('rows\n');
    rmSync(`${target}.tmp-${process.pid}`);
  });

  it('leaves no temporary file behind when the write fails', () => {
    const sub = join(dir, 'sub');
    writeAtomic(join(sub, 'a'), 'x');
    // Renaming a file over a folder fails: the temporary must go with the error.
    expect(() => writeAtomic(sub, 'y')).toThrow();
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
