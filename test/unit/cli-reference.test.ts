// docs/cli.md is generated from the command definitions; it must say what the CLI does today.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliReference } from '../../src/cli.js';
import { ROOT } from '../helpers/lab.js';

describe('the CLI reference', () => {
  it('docs/cli.md is what `npm run gen:cli-reference` writes from src/cli.ts', () => {
    expect(readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8')).toBe(cliReference());
  });

  it('names every command and every option', () => {
    const ref = cliReference();
    for (const c of cli.commands) {
      expect(ref).toContain(`## \`lab ${c.rawName}\``);
      for (const o of c.options) expect(ref).toContain(`\`${o.rawName}\``);
    }
  });
});
