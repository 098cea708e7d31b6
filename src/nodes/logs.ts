// What every node kind shows for a log file on this host: the file, or its tail followed.
import { existsSync } from 'node:fs';
import { LabError } from '../errors.js';

export function hostFileLogArgv(file: string, follow: boolean): string[] {
  if (!existsSync(file)) throw new LabError({ code: 'STATE', message: `no log yet: ${file}` });
  return follow ? ['tail', '-n', '+1', '-F', file] : ['cat', file];
}
