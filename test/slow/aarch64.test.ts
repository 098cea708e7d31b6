// An aarch64 guest, the seed's own platform, under TCG on this x86-64 host: its image built from
// Debian's arm64 packages (through qemu-user-static), both apps built in it and passing lab test,
// the guest saying aarch64 and the apps aarch64 ELF; then a warm lab up from its provisioned
// snapshot. Behind LAB_SLOW=1: emulating another architecture makes the image build and the boot
// many minutes (docs/performance.md).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lab, labAsync, ROOT } from '../helpers/lab.js';

const SLOW = process.env.LAB_SLOW === '1';
const TIMEOUT = 3 * 3_600_000;

describe.runIf(SLOW)('an aarch64 lab (examples/aarch64.yaml)', () => {
  const work = mkdtempSync(join(tmpdir(), 'lab-arm-'));
  const name = `arm${process.pid % 100000}`;
  const file = join(work, 'lab.yaml');
  writeFileSync(file, readFileSync(join(ROOT, 'examples/aarch64.yaml'), 'utf8').replace(/^name: .*/m, `name: ${name}`));

  afterAll(() => {
    lab(['down', '-f', file, '--purge']);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'passes lab test with both apps under TCG, says why TCG, and names its architecture',
    async () => {
      const test = await labAsync(['test', '-f', file, '--json', '--html', join(work, 'report.html')], ROOT, TIMEOUT);
      expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
      const report = JSON.parse(test.stdout) as { counts: { passed: number; failed: number } };
      expect(report.counts).toMatchObject({ failed: 0 });
      expect(report.counts.passed).toBeGreaterThanOrEqual(9);
      expect(test.stderr).toContain('aarch64 guest on an x86_64 host: TCG');
      expect(readFileSync(join(work, 'report.html'), 'utf8')).toContain('qemu aarch64');
    },
    TIMEOUT,
  );

  it(
    'comes up warm from its provisioned snapshot; the guest is aarch64 and so are the apps it built',
    async () => {
      const up = await labAsync(['up', '-f', file], ROOT, TIMEOUT);
      expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
      expect(up.stderr).toContain('start QEMU from the provisioned snapshot (-loadvm)');
      expect(lab(['ssh', 'dut', '-f', file, '--', 'uname', '-m']).stdout.trim()).toBe('aarch64');
      // e_machine, at byte 18 of the ELF header: 0xb7 is EM_AARCH64.
      for (const app of ['l2_echo', 'l2_multi_echo', 'l2probe']) {
        const elf = lab([
          'ssh',
          'dut',
          '-f',
          file,
          '--',
          'od',
          '-An',
          '-tx1',
          '-j18',
          '-N2',
          `/opt/lab/native/build/${app}`,
        ]);
        expect(elf.stdout.trim(), app).toBe('b7 00');
      }
      expect(lab(['down', '-f', file]).status).toBe(0);
    },
    TIMEOUT,
  );
});
