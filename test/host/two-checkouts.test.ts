// Two checkouts of one spec on one host: the lab's namespace, taps and DPDK file prefixes are named
// for the lab host-wide, so only one of them may have it up, and the other's down touches nothing.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netnsExists } from '../../src/host/netns.js';
import { lab, ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-checkouts-'));
const name = `tc${process.pid % 100000}`;
const checkouts = ['a', 'b'].map((c) => {
  const dir = join(work, c);
  mkdirSync(dir);
  const file = join(dir, 'lab.yaml');
  writeFileSync(
    file,
    readFileSync(join(ROOT, 'examples', 'netns.yaml'), 'utf8').replace(/^name: .*/m, `name: ${name}`),
  );
  return file;
});

afterAll(() => {
  for (const file of checkouts) lab(['down', '-f', file]);
  rmSync(work, { recursive: true, force: true });
});

describe('two checkouts with one lab name', () => {
  it('the second up is refused and its down touches nothing; once the first is down, the second may have it', () => {
    const [a, b] = checkouts as [string, string];
    const upA = lab(['up', '-f', a]);
    expect(upA.status, upA.stderr).toBe(0);

    const upB = lab(['up', '-f', b]);
    expect(upB.status).toBe(3);
    expect(upB.stderr).toContain(`lab ${name} is up on this host from another folder (${join(work, 'a')})`);
    const downB = lab(['down', '-f', b]);
    expect(downB.status).toBe(3);
    expect(downB.stderr).toContain('nothing was touched');
    expect(netnsExists(`lab-${name}`), "a's namespace is still there").toBe(true);
    expect(JSON.parse(lab(['status', '-f', a, '--json']).stdout).nodes[0].state).toBe('running');

    expect(lab(['down', '-f', a]).status).toBe(0);
    const again = lab(['up', '-f', b]);
    expect(again.status, again.stderr).toBe(0);
    expect(lab(['down', '-f', b]).status).toBe(0);
    expect(netnsExists(`lab-${name}`)).toBe(false);
  }, 180_000);
});
