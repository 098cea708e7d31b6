// A downloaded image's qcow2 header may name a host file as its backing or data file, which QEMU
// (as root) would open: such an image is refused before it is cached, whatever its sha256.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/host/exec.js';
import { checkStandaloneQcow2 } from '../../src/image/qcow2.js';

const work = mkdtempSync(join(tmpdir(), 'lab-qcow2-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a downloaded image header', () => {
  it('with a backing file naming a host path is refused', async () => {
    const file = join(work, 'backing.qcow2');
    await run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', '/etc/shadow', '-F', 'raw', file]);
    await expect(checkStandaloneQcow2(file, 'https://x.invalid/a.img')).rejects.toThrow(
      /names a backing file \(\/etc\/shadow\)/,
    );
  });

  it('with an external data file is refused', async () => {
    const file = join(work, 'data.qcow2');
    await run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-o', `data_file=${join(work, 'data.raw')}`, file, '1M']);
    await expect(checkStandaloneQcow2(file, 'https://x.invalid/b.img')).rejects.toThrow(/names an external data file/);
  });

  it('that is not qcow2 at all is refused', async () => {
    const file = join(work, 'raw.img');
    writeFileSync(file, Buffer.alloc(1 << 20));
    await expect(checkStandaloneQcow2(file, 'https://x.invalid/c.img')).rejects.toThrow(/is not a qcow2 image/);
  });

  it('that stands alone is taken', async () => {
    const file = join(work, 'plain.qcow2');
    await run(['qemu-img', 'create', '-q', '-f', 'qcow2', file, '1M']);
    await expect(checkStandaloneQcow2(file, 'https://x.invalid/d.img')).resolves.toBeUndefined();
  });
});
