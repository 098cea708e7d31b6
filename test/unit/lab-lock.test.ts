// One lab command at a time, by the kernel's lock: a second command is refused at once and told
// who holds the lab; a verb inside another takes the lock once; a holder killed outright leaves
// nothing stale; and processes racing for the lock never hold it two at a time.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { withLock } from '../../src/host/lock.js';
import { waitFor } from '../../src/host/wait.js';
import { ROOT } from '../helpers/lab.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Every holder this file started, killed (its whole group, by the PID we started) whatever the test did. */
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
});

/** Another process (lab as built) that holds `path` as verb `what`, printing `held` once it does. */
function holder(path: string, what: string, script = 'console.log("held"); setInterval(() => {}, 1000)') {
  const code = `import('${join(ROOT, 'dist/host/lock.js')}').then((m) => m.withLock(process.argv[1], process.argv[2], () => new Promise(() => { ${script} })))`;
  // In a process group of its own, as a command started from a terminal is.
  const child = spawn(process.execPath, ['-e', code, path, what], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { child, held: () => waitFor(() => out.includes('held'), { timeoutMs: 10_000 }) };
}

describe('the lab lock', () => {
  it("refuses a second command at once, naming the holder's verb and PID, and is free when the holder is killed outright", async () => {
    const path = join(dir, 'a.lock');
    const up = holder(path, 'up');
    expect(await up.held()).toBe(true);
    await expect(withLock(path, 'down', async () => 'ran')).rejects.toThrow(
      `lab up (pid ${up.child.pid}) is working on this lab`,
    );
    process.kill(-up.child.pid!, 'SIGKILL');
    await new Promise((resolve) => up.child.once('exit', resolve));
    expect(await withLock(path, 'down', async () => 'ran')).toBe('ran');
  });

  it('outlasts Ctrl-C at the terminal, which reaches the whole process group: lab still holds it while it undoes', async () => {
    const path = join(dir, 'd.lock');
    // Like lab, the holder takes SIGINT as a request to undo and finish, not as the end.
    const up = holder(path, 'up', 'process.on("SIGINT", () => {}); console.log("held"); setInterval(() => {}, 1000)');
    expect(await up.held()).toBe(true);
    process.kill(-up.child.pid!, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(withLock(path, 'down', async () => 'ran')).rejects.toThrow(
      `lab up (pid ${up.child.pid}) is working on this lab`,
    );
    process.kill(-up.child.pid!, 'SIGKILL');
    await new Promise((resolve) => up.child.once('exit', resolve));
    expect(await withLock(path, 'down', async () => 'ran')).toBe('ran');
  });

  it('is taken once by a verb inside another in the same process (lab test runs up, run, verify …)', async () => {
    const path = join(dir, 'b.lock');
    const order: string[] = [];
    await withLock(path, 'test', async () => {
      order.push('test');
      await withLock(path, 'up', async () => void order.push('up'));
      await withLock(path, 'run', async () => void order.push('run'));
      expect(readFileSync(path, 'utf8')).toBe(`${process.pid} test\n`);
    });
    expect(order).toEqual(['test', 'up', 'run']);
    expect(await withLock(path, 'down', async () => 'free again')).toBe('free again');
  });

  it('is held by one of three racing processes at a time, never two, past the file a dead holder left', async () => {
    const path = join(dir, 'c.lock');
    const log = join(dir, 'c.log');
    // What a holder killed outright leaves: the file, naming a PID that no longer runs.
    const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => dead.once('exit', resolve));
    writeFileSync(path, `${dead.pid} up\n`);
    // Each retries until it gets the lock, then logs enter and exit around 300 ms of holding it.
    const racer = `const fs = require('fs'); const log = ${JSON.stringify(log)};
      const go = () => import('${join(ROOT, 'dist/host/lock.js')}').then((m) => m.withLock(${JSON.stringify(path)}, 'up', async () => {
        fs.appendFileSync(log, 'enter ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 300));
        fs.appendFileSync(log, 'exit ' + process.pid + '\\n');
      })).catch(() => setTimeout(go, 20));
      go();`;
    const racers = [0, 1, 2].map(() => spawn(process.execPath, ['-e', racer], { stdio: 'ignore', detached: true }));
    started.push(...racers);
    await Promise.all(racers.map((c) => new Promise((resolve) => c.once('exit', resolve))));
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);
    for (let i = 0; i < lines.length; i += 2) {
      const [enter, pid] = lines[i]!.split(' ');
      expect([enter, lines[i + 1]], 'an exit follows each enter, by the same process').toEqual([
        'enter',
        `exit ${pid}`,
      ]);
    }
  }, 30_000);
});
