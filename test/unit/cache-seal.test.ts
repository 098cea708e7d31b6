// What lab made in its cache is checked before use: a file changed since lab sealed it is refused,
// one only touched is taken (and sealed again), one made before seals is sealed as it is.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSealed, seal, sealIndex } from '../../src/image/seal.js';

const root = mkdtempSync(join(tmpdir(), 'lab-seal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the cache seal', () => {
  const index = sealIndex(join(root, 'images'));
  const file = join(root, 'images-disk.qcow2');

  it('lives beside the cache folder, owner-only', async () => {
    writeFileSync(file, 'image');
    await seal(index, [file]);
    expect(index).toBe(join(root, 'index.json'));
    expect(JSON.parse(readFileSync(index, 'utf8'))[file].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await import('node:fs')).statSync(index).mode & 0o777).toBe(0o600);
  });

  it('takes a file as lab made it, and one only touched', async () => {
    await expect(checkSealed(index, [file], 'an image')).resolves.toBeUndefined();
    chmodSync(file, 0o600);
    await expect(checkSealed(index, [file], 'an image')).resolves.toBeUndefined();
  });

  it('refuses a file whose content changed, naming it', async () => {
    writeFileSync(file, 'imagf');
    await expect(checkSealed(index, [file], 'an image')).rejects.toThrow(
      `${file} (an image) changed since lab made it`,
    );
  });

  it('seals a file it has no seal for, as it is', async () => {
    const other = join(root, 'older.tar');
    writeFileSync(other, 'build');
    await checkSealed(index, [other], 'a build');
    writeFileSync(other, 'bui1d');
    await expect(checkSealed(index, [other], 'a build')).rejects.toThrow(/changed since lab made it/);
  });
});
