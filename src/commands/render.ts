// lab render: every generated file for the lab's nodes, written to a folder, nothing started.
import { labRender } from '../core/render.js';
import { loadLab } from '../core/load.js';
import { print, type OutputOptions } from './output.js';

export interface RenderOptions extends OutputOptions {
  file: string;
  out?: string;
  force?: boolean;
}

export async function render(opts: RenderOptions): Promise<void> {
  const r = await labRender(loadLab(opts.file, { force: opts.force }), opts.out);
  print(
    opts,
    r,
    () =>
      r.nodes
        .map((v) =>
          [
            `${v.node}: ${v.accel ? `${v.accel.accel} (${v.accel.reason}), ` : ''}${v.sshPort ? `ssh on 127.0.0.1:${v.sshPort}` : ''}`,
            ...Object.values(v.files).map((f) => `  wrote ${f}`),
          ].join('\n'),
        )
        .join('\n') || `lab ${r.lab} has no nodes with files to render`,
  );
}
