// A wedged QEMU (its monitor takes the connection, then never acts on quit) must not hang lab down:
// quit has a deadline, then the signal ladder ends the process lab started.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopQemu } from '../../src/nodes/qemu/boot.js';
import { isAlive, procRef } from '../../src/host/process.js';
import { Qmp } from '../../src/host/qmp.js';
import { nodePaths } from '../../src/layout.js';

const work = mkdtempSync(join(tmpdir(), 'lab-qmp-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A process that speaks QMP's greeting and capabilities, then swallows every other command. */
function wedgedQemu(socket: string, greet: boolean) {
  const script = `
    const s = require('node:net').createServer((c) => {
      ${greet ? `c.write(JSON.stringify({ QMP: { version: {}, capabilities: [] } }) + '\\n');` : ''}
      c.on('data', (d) => { if (String(d).includes('qmp_capabilities')) c.write(JSON.stringify({ return: {} }) + '\\n'); });
    });
    s.listen(${JSON.stringify(socket)}, () => console.log('listening'));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise<typeof child>((resolve) => child.stdout.once('data', () => resolve(child)));
}

describe('a wedged QEMU', () => {
  it('that ignores quit is stopped by signal within seconds, not waited on forever', async () => {
    const paths = nodePaths(work, 'wedged');
    rmSync(paths.dir, { recursive: true, force: true });
    mkdirSync(paths.dir, { recursive: true });
    const child = await wedgedQemu(paths.qmp, true);
    try {
      const ref = procRef(child.pid!)!;
      const started = Date.now();
      expect(await stopQemu(ref, paths)).toBe('terminated');
      expect(Date.now() - started).toBeLessThan(25_000);
      expect(isAlive(ref)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);

  it('whose monitor never greets gives a TIMEOUT, not a hang', async () => {
    const socket = join(work, 'silent.sock');
    const child = await wedgedQemu(socket, false);
    try {
      await expect(Qmp.open(socket, 1_000)).rejects.toThrow(/did not answer|no QMP monitor/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
