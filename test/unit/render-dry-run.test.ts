// lab render is a dry run: it starts no QEMU (not even the accelerator probe) and makes no SSH key.
// qemu-system-x86_64 and ssh-keygen are replaced by shims that record any call; none may come.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lab, ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-render-dry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lab render', () => {
  it('calls neither QEMU nor ssh-keygen, and says in the files what only lab up can know', () => {
    const shims = join(work, 'bin');
    mkdirSync(shims);
    const calls = join(work, 'calls.log');
    for (const tool of ['qemu-system-x86_64', 'ssh-keygen', 'qemu-img']) {
      const shim = join(shims, tool);
      writeFileSync(shim, `#!/bin/sh\necho "${tool} $*" >> ${calls}\nexit 1\n`);
      chmodSync(shim, 0o755);
    }
    const out = join(work, 'out');
    const env = { ...process.env, PATH: `${shims}:${process.env.PATH}` };
    const r = lab(['render', '-f', join(ROOT, 'lab.yaml'), '--out', out, '--json'], ROOT, 60_000, env);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(calls) ? readFileSync(calls, 'utf8') : '', 'no shim was called').toBe('');
    const script = readFileSync(join(out, 'nodes', 'dut', 'qemu.sh'), 'utf8');
    expect(script.split('\n')[0]).toMatch(/^#!/);
    expect(script).toContain('# Written by lab render, a dry run');
    expect(script).toMatch(/# Accelerator: (kvm|tcg) \(/);
    expect(script).toMatch(/# SSH port: 127\.0\.0\.1:\d+/);
    const userData = readFileSync(join(out, 'nodes', 'dut', 'user-data'), 'utf8');
    expect(userData.startsWith('#cloud-config\n# Written by lab render')).toBe(true);
    expect(existsSync(join(out, 'id_ed25519')), 'no key was written').toBe(false);
  });
});
