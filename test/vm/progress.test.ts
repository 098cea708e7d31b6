// lab up on a lab whose guest image is not cached, with stderr a pipe as in CI: the image build
// (mmdebstrap, the disk, the seal) and the boot must never leave the log quiet for more than 15 s.
// Quick because the recipe is lab.yaml's plus one small package: a content key no run has cached,
// while every .deb but that one comes from lab's package cache. The suite stops the up with
// Ctrl-C once the SSH wait has run for 20 s (what follows, cloud-init's, is polled every 3 s);
// LAB_SLOW=1 lets it run to the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/core/load.js';
import { netnsExists } from '../../src/host/netns.js';
import { imagePlan } from '../../src/image/recipe.js';
import { imageCacheRoot } from '../../src/layout.js';
import { lab, ROOT } from '../helpers/lab.js';

const FULL = process.env.LAB_SLOW === '1';
const work = mkdtempSync(join(tmpdir(), 'lab-progress-'));
const name = `gap${process.pid % 100000}`;
const file = join(work, 'lab.yaml');
writeFileSync(
  file,
  readFileSync(join(ROOT, 'lab.yaml'), 'utf8')
    .replace(/^name: .*/m, `name: ${name}`)
    .replace(/^( {4}suite: bookworm).*$/m, '$1\n    packages: [less]'),
);
const image = imagePlan(loadLab(file), imageCacheRoot()).dir;

afterAll(() => {
  lab(['down', '-f', file, '--purge']);
  // Another run's build of the same recipe would hold its lock; none runs here, and no lab uses it.
  rmSync(image, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('progress during lab up', () => {
  it(
    'an uncached image and a cold boot: no gap of more than 15 s between lines on a plain stderr',
    async () => {
      rmSync(image, { recursive: true, force: true });
      const child = spawn(process.execPath, [join(ROOT, 'bin/lab.js'), 'up', '-f', file], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const lines: Array<{ at: number; text: string }> = [];
      let rest = '';
      let sshWaitFrom: number | undefined;
      let interrupted = false;
      child.stderr!.on('data', (d: Buffer) => {
        const parts = (rest + d.toString()).split('\n');
        rest = parts.pop()!;
        for (const text of parts) {
          lines.push({ at: Date.now(), text });
          if (text.includes('→ dut: wait for SSH')) sshWaitFrom = Date.now();
          // Once: a second Ctrl-C would cut lab's undo short.
          if (!FULL && !interrupted && sshWaitFrom !== undefined && Date.now() - sshWaitFrom >= 20_000)
            interrupted = child.kill('SIGINT');
        }
      });
      const started = Date.now();
      const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const log = lines.map((l) => `${((l.at - started) / 1000).toFixed(1).padStart(6)} ${l.text}`).join('\n');
      expect(log, 'the image was built, not found').toMatch(/✓ mmdebstrap bookworm with \d+ packages/);
      expect(log, "mmdebstrap's own counts").toMatch(
        /installing remaining packages inside the chroot: .*set up \d+\/\d+ packages/,
      );
      expect(sshWaitFrom, log).toBeDefined();
      expect(status, log).toBe(FULL ? 0 : 130);
      const ats = lines.map((l) => l.at);
      const gaps = ats.map((at, i) => at - (i ? ats[i - 1]! : started));
      expect(Math.max(...gaps), log).toBeLessThanOrEqual(15_000);
      if (!FULL) expect(netnsExists(`lab-${name}`), 'Ctrl-C took the lab down').toBe(false);
      console.log(
        `lab up, image not cached: ${lines.length} lines in ${((Date.now() - started) / 1000).toFixed(0)} s, longest gap ${(Math.max(...gaps) / 1000).toFixed(1)} s`,
      );
    },
    FULL ? 1_800_000 : 900_000,
  );
});
