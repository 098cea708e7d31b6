// lab up refuses, before it creates anything, a lab whose VMs need more memory than this host has.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netnsExists } from '../../src/host/netns.js';
import { availableMemoryMiB } from '../../src/host/memory.js';
import { lab, ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-preflight-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lab up pre-flight', () => {
  it('reads MemAvailable in MiB', () => {
    expect(availableMemoryMiB('MemTotal:       16384000 kB\nMemAvailable:    8192000 kB\n')).toBe(8000);
  });

  it('refuses VMs that need more memory than the host has available: exit 3, nothing created', () => {
    const name = `pf${process.pid % 100000}`;
    const tooMuch = Math.ceil(availableMemoryMiB() / 1024) + 64;
    const file = join(work, 'lab.yaml');
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'lab.yaml'), 'utf8')
        .replace(/^name: .*/m, `name: ${name}`)
        .replace(/^(\s+)memory: .*/m, `$1memory: ${tooMuch}G`),
    );
    const r = lab(['up', '-f', file]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(
        `need ${tooMuch * 1024} MiB of memory \\(dut ${tooMuch * 1024} MiB\\), but this host has \\d+ MiB available`,
      ),
    );
    expect(netnsExists(`lab-${name}`)).toBe(false);
    expect(existsSync(join(work, '.lab', name, 'state.json')), 'no state').toBe(false);
  });
});
