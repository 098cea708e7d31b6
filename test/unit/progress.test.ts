// Progress on long work: what mmdebstrap and cloud-init say, in one line each, and the terminal
// reporter that shows it, in place on a terminal and as plain lines, never quiet for long, elsewhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEARTBEAT_MS, Steps } from '../../src/commands/steps.js';
import { AptProgress } from '../../src/host/apt-progress.js';
import { CloudInitProgress, cloudInitStage, duration } from '../../src/nodes/qemu/cloud-init-progress.js';
import { ROOT } from '../helpers/lab.js';

describe('mmdebstrap progress', () => {
  it('follows its phases and counts packages fetched, unpacked and set up out of what apt announced', () => {
    const p = new AptProgress();
    const lines = readFileSync(join(ROOT, 'test/fixtures/mmdebstrap-verbose.log'), 'utf8').trim().split('\n');
    const shown = lines.map((l) => p.feed(l)).filter(Boolean);
    expect(shown).toContain('downloading packages with apt: fetched 69/69 packages');
    expect(shown).toContain('installing essential packages: unpacked 69/69, set up 69/69 packages');
    expect(shown.at(-2)).toBe(
      'installing remaining packages inside the chroot: fetched 105/105, unpacked 105/105, set up 105/105 packages',
    );
    expect(p.feed('Reading package lists...')).toBeUndefined();
  });

  it("says what runs once the counts stop: dpkg's triggers, the initramfs a kernel's hook makes", () => {
    const p = new AptProgress();
    p.feed('I: installing remaining packages inside the chroot...');
    p.feed('2 upgraded, 3 newly installed, 0 to remove and 0 not upgraded.');
    expect(p.feed('Setting up linux-image-6.1.0-28-arm64 (6.1.119-1) ...')).toBe(
      'installing remaining packages inside the chroot: set up 1/3 packages',
    );
    expect(p.feed('update-initramfs: Generating /boot/initrd.img-6.1.0-28-arm64')).toBe(
      'installing remaining packages inside the chroot: set up 1/3 packages; making /boot/initrd.img-6.1.0-28-arm64',
    );
    expect(p.feed('Setting up udev (252.31-1~deb12u1) ...')).toBe(
      'installing remaining packages inside the chroot: set up 2/3 packages',
    );
    expect(p.feed('Processing triggers for initramfs-tools (0.142+deb12u1) ...')).toBe(
      'installing remaining packages inside the chroot: set up 2/3 packages; triggers of initramfs-tools',
    );
    expect(p.feed('I: cleaning package lists and apt cache...')).toBe('cleaning package lists and apt cache');
  });
});

describe('cloud-init progress', () => {
  it('names the stage and shows the last line', () => {
    const status = 'status: running\ntime: Thu, 03 Dec 2026\ndetail:\nRunning in stage: modules-final\n';
    expect(cloudInitStage(status)).toBe('modules-final');
    expect(new CloudInitProgress().line(status, 'cc -O3 -c l2probe.c')).toBe('modules-final: cc -O3 -c l2probe.c');
  });

  it("turns ninja's [n/N] into a count and an ETA from the rate so far", () => {
    const p = new CloudInitProgress();
    expect(p.line('', '[100/1100] Compiling C object lib/x.o', 0)).toBe('build step 100/1100 (9%)');
    // 100 steps in 60 s: the other 900 take 9 minutes.
    expect(p.line('', '[200/1100] Compiling C object lib/y.o', 60_000)).toBe(
      'build step 200/1100 (18%, about 9 min left)',
    );
    expect(duration(45_000)).toBe('45 s');
    expect(duration(3 * 3600_000 + 5 * 60_000)).toBe('3 h 5 min');
  });
});

/** A stream that keeps what is written, with the time of each write. */
function capture(isTTY: boolean, colors = false) {
  const writes: Array<{ at: number; text: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push({ at: Date.now(), text: chunk.toString() });
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns: 100, rows: 20, hasColors: () => colors });
  return { stream, writes };
}

describe('the terminal reporter', () => {
  afterEach(() => vi.useRealTimers());

  it('on a plain log: a line at least every 15 s during a quiet step, progress at most every 5 s', async () => {
    vi.useFakeTimers();
    const { stream, writes } = capture(false);
    const steps = new Steps({ stream });
    const done = steps.step('mmdebstrap bookworm', async () => {
      for (let i = 0; i < 100; i++) {
        steps.progress(`unpacked ${i}/100 packages`);
        await vi.advanceTimersByTimeAsync(200);
      }
      await vi.advanceTimersByTimeAsync(60_000);
    });
    await vi.advanceTimersByTimeAsync(0);
    await done;
    const text = writes.map((w) => w.text).join('');
    expect(text).toMatch(/^→ mmdebstrap bookworm …\n/);
    expect(text).toMatch(/… mmdebstrap bookworm: unpacked \d+\/100 packages \(\d+\.\d s\)\n/);
    expect(text).toMatch(/✓ mmdebstrap bookworm \(80\.0 s\)\n$/);
    const gaps = writes.slice(1).map((w, i) => w.at - writes[i]!.at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(HEARTBEAT_MS + 1000);
    expect(HEARTBEAT_MS).toBeLessThan(15_000);
    // Twenty seconds of progress every 200 ms make a handful of lines, not a hundred.
    const started = writes[0]!.at;
    expect(writes.filter((w) => w.at < started + 20_000 && w.text.includes('unpacked')).length).toBeLessThanOrEqual(5);
  });

  it('on a terminal: one line per running step rewritten in place, and the finished ones kept above', async () => {
    vi.useFakeTimers();
    const { stream, writes } = capture(true);
    const steps = new Steps({ stream });
    const node = (name: string) =>
      steps.step(`${name}: wait for cloud-init`, async () => {
        steps.progress(`${name} modules-final: build step 10/100`);
        await vi.advanceTimersByTimeAsync(1000);
      });
    await Promise.all([node('dut'), node('tst')]);
    const text = writes.map((w) => w.text).join('');
    expect(text).toContain('… dut: wait for cloud-init (0.0 s) dut modules-final: build step 10/100');
    expect(text).toContain('… tst: wait for cloud-init');
    expect(text).toMatch(/✓ dut: wait for cloud-init \(\d\.\d s\)/);
    expect(text).not.toContain('→ ');
    expect(text, 'the running lines are erased and redrawn').toMatch(/\u001b\[2K/);
  });

  it('colours only a terminal that has colours, and never with NO_COLOR set', async () => {
    const run = async () => {
      const { stream, writes } = capture(true, true);
      await new Steps({ stream }).step('x', async () => undefined);
      return writes.map((w) => w.text).join('');
    };
    expect(await run()).toContain('\u001b[32m✓');
    vi.stubEnv('NO_COLOR', '1');
    try {
      expect(await run()).not.toContain('\u001b[32m');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('writes plain lines to a terminal of no size, where nothing rewritten would show', async () => {
    const { stream, writes } = capture(true);
    Object.assign(stream, { rows: 0, columns: 0 });
    await new Steps({ stream }).step('x', async () => undefined);
    expect(writes.map((w) => w.text).join('')).toBe('→ x …\n✓ x (0.0 s)\n');
  });

  it('keeps quiet when asked', async () => {
    const { stream, writes } = capture(false);
    const steps = new Steps({ stream, silent: true });
    await steps.step('x', async () => steps.progress('y'));
    expect(writes).toEqual([]);
    expect(steps.timings.map((t) => t.step)).toEqual(['x']);
  });
});
