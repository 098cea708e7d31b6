// Issue 20's findings that need no lab: arguments that broke the CLI, links planted where root
// writes, folders that are not lab's own, and a spec that is code saying so.
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { appendNoFollow, makeDir, ownFolder, readBounded, writeAtomic } from '../../src/host/files.js';
import { labPaths } from '../../src/layout.js';
import { ensureStateFolder } from '../../src/state/store.js';
import { lab, ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-hostile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function folder(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('CLI arguments', () => {
  it('a path option given twice, empty, or as digits is a usage error in words (exit 2), never a type error', () => {
    const twice = lab(['validate', '-f', 'lab.yaml', '-f', 'lab.yaml']);
    expect([twice.status, twice.stderr]).toEqual([2, expect.stringContaining('--file is given 2 times')]);
    const empty = lab(['validate', '-f', '']);
    expect([empty.status, empty.stderr]).toEqual([2, expect.stringContaining('--file is given an empty value')]);
    const digits = lab(['validate', '-f', '42']);
    expect([digits.status, digits.stderr]).toEqual([
      2,
      expect.stringContaining('42:1:1: cannot read the lab spec: no such file'),
    ]);
    for (const r of [twice, empty, digits])
      expect(r.stderr).not.toMatch(/internal error|TypeError|ERR_INVALID_ARG_TYPE/);
  });

  it('render --out names a folder whatever it looks like: digits are a folder, /proc is refused at once with exit 2', () => {
    const cwd = folder('render-out');
    writeFileSync(join(cwd, 'lab.yaml'), readFileSync(join(ROOT, 'examples', 'chain-netns.yaml')));
    const digits = lab(['render', '--out', '2024', '--json'], cwd);
    expect(digits.status, digits.stderr).toBe(0);
    expect(existsSync(join(cwd, '2024'))).toBe(true);
    // Node's recursive mkdir spins forever under /proc: this must end, and quickly.
    const proc = lab(['render', '--out', '/proc/lab-test-x'], cwd, 20_000);
    expect([proc.status, proc.stderr]).toEqual([
      2,
      expect.stringContaining('cannot create the folder /proc/lab-test-x'),
    ]);
  });

  it('lab impair checks its values before whether the lab is up, and leaves no state folder', () => {
    const cwd = folder('impair');
    writeFileSync(join(cwd, 'lab.yaml'), readFileSync(join(ROOT, 'examples', 'impaired-netns.yaml')));
    const r = lab(['impair', 'tst.eth0', '--loss', '200'], cwd);
    expect([r.status, r.stderr]).toEqual([2, expect.stringContaining('loss: must be <= 100')]);
    expect(existsSync(join(cwd, '.lab'))).toBe(false);
  });

  it('lab help is the help; a typo gets a suggestion', () => {
    const help = lab(['help']);
    expect([help.status, help.stdout]).toEqual([0, expect.stringContaining('validate')]);
    const typo = lab(['vaildate']);
    expect([typo.status, typo.stderr]).toEqual([2, expect.stringContaining('Did you mean `lab validate`?')]);
  });

  it('validate lists what a spec runs: custom commands and eal_args, where and as whom', () => {
    const cwd = folder('runs');
    writeFileSync(
      join(cwd, 'lab.yaml'),
      [
        'name: runs',
        'nodes:',
        '  dut:',
        '    kind: netns',
        '    nics: [{ name: dp0, ip: 10.10.0.2/24 }]',
        'apps:',
        '  mine:',
        '    program: custom',
        '    command: /usr/local/bin/my-fwd',
        '    node: dut',
        '    nic: dp0',
        '    eal_args: ["--log-level=8", "-d", "/opt/pmd.so"]',
        '    trust_eal_args: true',
        '',
      ].join('\n'),
    );
    const r = lab(['validate'], cwd);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('what this spec runs or fetches, as root');
    expect(r.stdout).toContain("apps.mine.command: /usr/local/bin/my-fwd  (on this host, in node dut's namespace)");
    expect(r.stdout).toContain('apps.mine.eal_args: --log-level=8 -d /opt/pmd.so');
    const json = JSON.parse(lab(['validate', '--json'], cwd).stdout) as { runs: Array<{ field: string }> };
    expect(json.runs.map((x) => x.field)).toEqual(['apps.mine.command', 'apps.mine.eal_args']);
  });
});

describe('writes as root', () => {
  it('writeAtomic replaces a planted link instead of writing through it', () => {
    const dir = folder('atomic');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, join(dir, 'report.html'));
    writeAtomic(join(dir, 'report.html'), 'report');
    expect(readFileSync(victim, 'utf8')).toBe('keep');
    expect(lstatSync(join(dir, 'report.html')).isSymbolicLink()).toBe(false);
  });

  it('--summary appends, but never through a link', () => {
    const dir = folder('summary');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, join(dir, 'summary.md'));
    expect(() => appendNoFollow(join(dir, 'summary.md'), 'x')).toThrow(/ELOOP/);
    expect(readFileSync(victim, 'utf8')).toBe('keep');
    appendNoFollow(join(dir, 'real.md'), 'a');
    appendNoFollow(join(dir, 'real.md'), 'b');
    expect(readFileSync(join(dir, 'real.md'), 'utf8')).toBe('ab');
  });

  it('a state folder that is a planted link, or a .lab that is one, is refused and nothing is written through it', () => {
    const spec = folder('planted');
    const target = folder('planted-target');
    symlinkSync(target, join(spec, '.lab'));
    const paths = labPaths({ file: join(spec, 'lab.yaml'), name: 'p' });
    expect(() => ensureStateFolder(paths)).toThrow(/is a symbolic link/);
    expect(existsSync(join(target, 'p'))).toBe(false);

    const spec2 = folder('planted2');
    mkdirSync(join(spec2, '.lab'));
    symlinkSync(target, join(spec2, '.lab', 'p'));
    expect(() => ensureStateFolder(labPaths({ file: join(spec2, 'lab.yaml'), name: 'p' }))).toThrow(
      /is a symbolic link/,
    );
  });

  it('a state folder is made owner-only, and one of another user is refused', () => {
    const spec = folder('owner');
    const paths = labPaths({ file: join(spec, 'lab.yaml'), name: 'o' });
    ensureStateFolder(paths);
    expect(lstatSync(paths.root).mode & 0o777).toBe(0o700);
    const foreign = folder('foreign');
    // nobody's uid: a folder another user made first (as in a shared /tmp).
    if (process.getuid?.() === 0) {
      chownSync(foreign, 65534, 65534);
      expect(() => ownFolder(foreign)).toThrow(/belongs to uid 65534/);
    }
  });

  it('makeDir ends on a path the kernel will not create, naming the level', () => {
    expect(() => makeDir('/proc/lab-test/x')).toThrow(/cannot create the folder \/proc\/lab-test/);
  });
});

describe('what lab reads and shows', () => {
  it('a log that grows without end is read with a bound: its start and its end', () => {
    const file = join(folder('logs'), 'app.log');
    writeFileSync(file, `{"event":"ready"}\n${'x'.repeat(8 * 2 ** 20)}\n{"event":"exit"}\n`);
    const text = readBounded(file);
    expect(text.length).toBeLessThan(1.2 * 2 ** 20);
    expect(text.startsWith('{"event":"ready"}')).toBe(true);
    expect(text.trimEnd().endsWith('{"event":"exit"}')).toBe(true);
    expect(readBounded(join(work, 'none.log'))).toBe('');
  });

  it('guest text in an error reaches the terminal as text: no escape sequences, bells or carriage returns acted on', () => {
    const shown = formatProblem({
      code: 'PROCESS',
      message: 'app failed',
      hint: 'line\x1b]0;owned\x07\rhidden\x1b[2Jcleared\nnext',
    });
    expect(shown).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
    expect(shown).toContain('line\\x1b]0;owned\\x07\\x0dhiddencleared\n    next');
  });
});
