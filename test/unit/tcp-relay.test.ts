// The hop lab's SSH takes into the lab namespace: a program of its own (src/guest/tcp-relay.ts), which
// relays its standard input and output to 127.0.0.1:PORT. Here against an echo server on loopback.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/assets.js';

const server = createServer((s) => s.pipe(s));
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function relay(port: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [packagePath('dist', 'guest', 'tcp-relay.js'), port]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out === 'hello through the relay\n') child.stdin.end();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.write('hello through the relay\n');
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('tcp-relay', () => {
  it('carries bytes both ways to 127.0.0.1:PORT', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const r = await relay(String(port));
    expect(r.out).toBe('hello through the relay\n');
  });

  it('refuses what is not a port, exit 2', async () => {
    const r = await relay('ssh');
    expect(r.code).toBe(2);
    expect(r.err).toContain('not a port');
  });
});
