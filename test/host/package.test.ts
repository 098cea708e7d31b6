// lab as a user installs a CLI: the packed tarball into a fresh npm prefix, run from a folder
// outside the repository, on a spec lab init wrote. Then the same install as an ordinary user:
// what needs root says so before doing anything, and what does not need it works.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsExists } from '../../src/host/netns.js';
import { ROOT } from '../helpers/lab.js';

// Readable by the ordinary user the second half runs as: mkdtemp makes folders for root alone.
const work = mkdtempSync(join(tmpdir(), 'lab-pkg-'));
chmodSync(work, 0o755);
const prefix = join(work, 'prefix');
const installed = join(prefix, 'lib', 'node_modules', 'lab');
const labBin = join(prefix, 'bin', 'lab');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NOBODY = 65534;

function sh(argv: string[], cwd: string, as?: number) {
  const cmd = as === undefined ? argv : ['setpriv', `--reuid=${as}`, `--regid=${as}`, '--clear-groups', ...argv];
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, ...(as === undefined ? {} : { HOME: cwd, XDG_CACHE_HOME: join(cwd, '.cache') }) },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file below a folder, to see that running lab wrote nothing into its own package. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

beforeAll(() => {
  // dist is built already (test/run.sh); the tarball is what `npm pack` makes of this checkout.
  const pack = sh(['npm', 'pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  expect(pack.status, pack.stderr).toBe(0);
  const { filename } = (JSON.parse(pack.stdout) as Array<{ filename: string }>)[0]!;
  // --ignore-scripts: none of the dependencies' install scripts is needed (docs/install.md says why).
  const install = sh(
    [
      'npm',
      'install',
      '-g',
      '--prefix',
      prefix,
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(work, filename),
    ],
    work,
  );
  expect(install.status, install.stderr).toBe(0);
  expect(install.stderr, 'no install-script warnings').not.toMatch(/install-scripts/);
}, 300_000);
afterAll(() => {
  // A lab test that failed half-way must not leave its namespaces behind.
  if (existsSync(join(work, 'mylab', 'lab.yaml'))) sh([labBin, 'down'], join(work, 'mylab'));
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed globally', () => {
  it('carries its assets and no build output, and runs lab init, validate and test from a folder outside the repository', () => {
    for (const asset of [
      'schemas/lab.schema.json',
      'qemu/profiles.json',
      'cloud-init/user-data.base.yaml',
      'native/l2probe.c',
      'dist/cli.js',
    ])
      expect(existsSync(join(installed, asset)), asset).toBe(true);
    expect(existsSync(join(installed, 'native', 'build')), 'no build output is packed').toBe(false);
    const before = tree(installed);

    const folder = join(work, 'mylab');
    mkdirSync(folder);
    expect(sh([labBin, '--version'], folder).stdout).toContain(`lab/${version}`);
    const init = sh([labBin, 'init', '--kind', 'netns'], folder);
    expect(init.status, init.stderr).toBe(0);
    expect(sh([labBin, 'validate'], folder).status).toBe(0);
    const t = sh([labBin, 'test', '--json'], folder);
    expect(t.status, t.stdout + t.stderr).toBe(0);
    const checks = (JSON.parse(t.stdout) as { checks: Array<{ status: string }> }).checks;
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.every((c) => c.status !== 'failed')).toBe(true);
    expect(netnsExists('lab-mylab'), 'lab test took the lab down').toBe(false);
    expect(tree(installed), 'lab wrote nothing into its package folder').toEqual(before);
  }, 180_000);

  it('as an ordinary user: init, validate, render, graph and images work; what needs root says so first and changes nothing', () => {
    const folder = join(work, 'plain');
    mkdirSync(folder);
    chownSync(folder, NOBODY, NOBODY);
    for (const args of [
      ['init', '--kind', 'qemu'],
      ['validate'],
      ['render', '--out', 'r'],
      ['graph'],
      ['images'],
      ['--help'],
    ]) {
      const r = sh([labBin, ...args], folder, NOBODY);
      expect(r.status, `lab ${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    for (const args of [
      ['up'],
      ['test'],
      ['down'],
      ['status'],
      ['run', 'l2_echo'],
      ['doctor', '--fix'],
      ['images', 'build'],
    ]) {
      const r = sh([labBin, ...args], folder, NOBODY);
      expect(r.status, `lab ${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(
        new RegExp(`\`lab ${args[0]}\` needs root: .+\\n.*Run it as root: sudo lab ${args.join(' ')}`),
      );
    }
    expect(existsSync(join(folder, '.lab', 'plain', 'state.json')), 'no state was made').toBe(false);
    // Files root rendered before: not writable by this user, said as such (not an internal error).
    expect(sh([labBin, 'render'], folder).status).toBe(0);
    const again = sh([labBin, 'render'], folder, NOBODY);
    expect(again.status, again.stderr).toBe(3);
    expect(again.stderr).toMatch(/^error: cannot write .*\(EACCES\)/);
    expect(netnsExists('lab-plain')).toBe(false);
  }, 120_000);
});
