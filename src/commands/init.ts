import { labInit } from '../core/init.js';
import { print, type OutputOptions } from './output.js';

export interface InitOptions extends OutputOptions {
  kind?: string;
  tester?: boolean;
  name?: string;
}

export async function init(file: string, opts: InitOptions): Promise<void> {
  const r = labInit(file, opts);
  print(opts, { ok: true, ...r }, () =>
    [
      `wrote ${r.file}: lab "${r.name}", ${r.kind === 'netns' ? 'a netns node' : 'a QEMU VM'}${r.tester ? ' and a tester node' : ''}`,
      `  next: lab validate -f ${file}; then, as root, lab test -f ${file}`,
    ].join('\n'),
  );
}
