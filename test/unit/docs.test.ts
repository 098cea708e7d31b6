// The docs a newcomer follows: the README stays short, and every link between the pages lands.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/lab.js';

function markdown(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? markdown(p) : f.endsWith('.md') ? [p] : [];
  });
}

const pages = [join(ROOT, 'README.md'), ...markdown(join(ROOT, 'docs'))];

describe('the docs', () => {
  it('README.md stays an introduction: at most 150 lines', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(150);
  });

  it.each(pages.map((p) => relative(ROOT, p)))('%s links only to files that exist', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8');
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((t) => !/^[a-z]+:/.test(t));
    expect(targets.filter((t) => !existsSync(join(dirname(join(ROOT, page)), t)))).toEqual([]);
  });

  it('no example, spec or page says vms: (issue 21: grep -rn "vms:" examples lab.yaml docs finds nothing)', () => {
    const files = [
      join(ROOT, 'lab.yaml'),
      ...readdirSync(join(ROOT, 'examples'))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(ROOT, 'examples', f)),
      ...pages,
    ];
    expect(files.filter((f) => readFileSync(f, 'utf8').includes('vms:')).map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('say nothing in 0.1 words outside the page about migrating', () => {
    // migrating.md, and lab migrate's own line in the CLI reference, name the old words on purpose.
    for (const page of pages.filter((p) => !p.endsWith('migrating.md') && !p.endsWith('cli.md'))) {
      expect(readFileSync(page, 'utf8'), relative(ROOT, page)).not.toMatch(/\bvms:|driver: (netns|qemu)\b|\bhost_ip\b/);
    }
  });
});
