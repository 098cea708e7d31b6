// An app's sources: read, keyed by content and build, and the build command per system.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKey, buildScript, readSources, userPaths } from '../../src/apps/build.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-app-src-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an app's sources", () => {
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, 'Makefile'), 'all:\n');
  writeFileSync(join(dir, 'src', 'main.c'), 'int main(void) { return 0; }\n');
  writeFileSync(join(dir, 'gen.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'gen.sh'), 0o755);
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  const make = { system: 'make' as const, command: '', binary: 'build/fwd' };

  it('are every file but .git, sorted, with whether each is executable', () => {
    expect(readSources(dir).map((f) => [f.path, f.executable])).toEqual([
      ['Makefile', false],
      ['gen.sh', true],
      ['src/main.c', false],
    ]);
  });

  it('are keyed by their content and how they are built, not by when they were read', () => {
    const key = buildKey(readSources(dir), make);
    expect(buildKey(readSources(dir), make)).toBe(key);
    expect(buildKey(readSources(dir), { ...make, binary: 'build/other' })).not.toBe(key);
    expect(buildKey(readSources(dir), { ...make, system: 'meson' })).not.toBe(key);
    writeFileSync(join(dir, 'src', 'main.c'), 'int main(void) { return 1; }\n');
    expect(buildKey(readSources(dir), make)).not.toBe(key);
  });

  it("are built by make, meson and ninja, or the spec's own command", () => {
    expect(buildScript(make)).toBe('make -j"$(nproc)"');
    expect(buildScript({ system: 'meson', command: '' })).toBe('meson setup build && ninja -C build');
    expect(buildScript({ system: 'command', command: 'cc -o fwd main.c' })).toBe('cc -o fwd main.c');
  });

  it("name the user's files in a failed build's output, not the copy's", () => {
    const files = readSources(dir);
    const out = userPaths(
      'cc -c src/main.c -o /opt/lab/apps/x.tmp/main.o\nsrc/main.c:1:5: error: expected\nother.c:2:1: note: elsewhere\n',
      '/opt/lab/apps/x.tmp',
      '/home/me/app',
      files,
    );
    expect(out).toBe(
      'cc -c src/main.c -o /home/me/app/main.o\n/home/me/app/src/main.c:1:5: error: expected\nother.c:2:1: note: elsewhere\n',
    );
  });
});
