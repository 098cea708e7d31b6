// The kernel's lock through util-linux flock: one holder at a time, the next waits and says so, and
// a holder that dies in any way (SIGKILL included) lets go without a stale file to break.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { holdLock } from '../../src/host/flock.js';
import { waitFor } from '../../src/host/wait.js';
import { ROOT } from '../helpers/lab.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-flock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('holdLock', () => {
  it('lets one holder in at a time: the second waits, says so once, and gets the lock when the first lets go', async () => {
    const path = join(dir, 'a.lock');
    const first = await holdLock(path, { timeoutMs: 5_000 });
    let waited = 0;
    let secondHeld = false;
    const second = holdLock(path, { timeoutMs: 10_000, onWait: () => waited++ }).then((l) => ((secondHeld = true), l));
    expect(await waitFor(() => waited === 1, { timeoutMs: 5_000 })).toBe(true);
    expect(secondHeld, 'not while the first holds it').toBe(false);
    await first.release();
    await (await second).release();
    expect(waited).toBe(1);
  });

  it('gives up after its deadline with a TIMEOUT error while another holds the lock', async () => {
    const path = join(dir, 'b.lock');
    const held = await holdLock(path, { timeoutMs: 5_000 });
    try {
      await expect(holdLock(path, { timeoutMs: 1_000 })).rejects.toMatchObject({
        problems: [expect.objectContaining({ code: 'TIMEOUT' })],
      });
    } finally {
      await held.release();
    }
  });

  it('is free again as soon as a holding process is killed outright', async () => {
    const path = join(dir, 'c.lock');
    // Another node process (lab as built) takes the lock and says so; SIGKILL leaves it no chance to let go itself.
    const script = `import('${join(ROOT, 'dist/host/flock.js')}').then(async (m) => { await m.holdLock(process.argv[1], { timeoutMs: 5000 }); console.log('held'); setInterval(() => {}, 1000); })`;
    const child = spawn(process.execPath, ['-e', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    expect(await waitFor(() => out.includes('held'), { timeoutMs: 10_000 })).toBe(true);
    await expect(holdLock(path, { timeoutMs: 500 })).rejects.toThrow(/still locked/);
    child.kill('SIGKILL');
    const lock = await holdLock(path, { timeoutMs: 5_000 });
    await lock.release();
  });
});
