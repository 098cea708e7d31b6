// The lab's SSH key is made once, even when every VM of a lab is rendered at the same time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureKeyPair } from '../../src/host/keys.js';

const work = mkdtempSync(join(tmpdir(), 'lab-keys-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('ensureKeyPair', () => {
  it('gives VMs started in parallel one and the same key, the one on disk', async () => {
    const path = join(work, 'id_ed25519');
    const pairs = await Promise.all([1, 2, 3].map(() => ensureKeyPair(path, 'lab-t')));
    expect(new Set(pairs.map((p) => p.public)).size).toBe(1);
    expect(readFileSync(`${path}.pub`, 'utf8')).toBe(pairs[0]!.public);
    expect((await ensureKeyPair(path, 'lab-t')).public, 'a later call reads the same key').toBe(pairs[0]!.public);
  });
});
