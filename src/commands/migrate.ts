// lab migrate: a spec in lab 0.1's words (vms, driver, host_ip, vm, host) rewritten in today's.
// Only the words change; comments, order and quoting stay as written.
import { statSync } from 'node:fs';
import { oldWordsOf, readSpecText } from '../config/source.js';
import { spliceOldWords } from '../config/old-words.js';
import { formatPath } from '../config/path.js';
import { LabError } from '../errors.js';
import { writeAtomic } from '../host/files.js';
import { print, progress, type OutputOptions } from './output.js';

export interface MigrateOptions extends OutputOptions {
  file: string;
  write?: boolean;
}

export function migrate(opts: MigrateOptions): void {
  const text = readSpecText(opts.file);
  const words = oldWordsOf(text, opts.file);
  const migrated = spliceOldWords(text, words);
  const left = oldWordsOf(migrated, opts.file);
  if (left.length)
    throw new LabError({
      code: 'SPEC_OLD_WORD',
      message: `lab migrate could not rewrite ${left.map((w) => `${formatPath(w.path)} ("${w.old}")`).join(', ')}`,
      hint: "Rename it by hand; this is lab's own bug, please report it with the spec.",
    });
  const written = Boolean(opts.write && words.length);
  if (written) writeAtomic(opts.file, migrated, statSync(opts.file).mode & 0o777);
  const changes = words.map((w) => ({ path: formatPath(w.path), old: w.old, now: w.now }));
  if (!opts.json && !opts.write) process.stdout.write(migrated);
  for (const c of changes) progress(`migrate: ${c.path}: "${c.old}" → "${c.now}"`);
  const said = !words.length
    ? `${opts.file} already uses today's words`
    : written
      ? `${opts.file}: ${words.length} word(s) rewritten`
      : `${words.length} word(s) to rewrite; --write saves them to ${opts.file}`;
  if (opts.json) print(opts, { file: opts.file, changes, written }, () => said);
  else progress(said);
}
