// lab render: every generated file for the lab's nodes, or its manifests for a KubeVirt cluster,
// written to a folder, nothing started.
import { labRender, labRenderKubevirt } from '../core/render.js';
import { loadLab } from '../core/load.js';
import { LabError } from '../errors.js';
import { targetOf } from './target.js';
import { print, type OutputOptions } from './output.js';

export interface RenderOptions extends OutputOptions {
  file: string;
  out?: string;
  target?: string;
  namespace?: string;
  force?: boolean;
}

export async function render(opts: RenderOptions): Promise<void> {
  const target = targetOf(opts.target);
  if (opts.namespace !== undefined && target !== 'kubevirt')
    throw new LabError({ code: 'USAGE', message: '--namespace is for --target kubevirt' });
  const lab = loadLab(opts.file, { force: opts.force, target });
  if (target === 'kubevirt') {
    const r = await labRenderKubevirt(lab, { out: opts.out, namespace: opts.namespace });
    print(opts, r, () =>
      [
        `lab ${r.lab} for KubeVirt, namespace ${r.namespace}, ${r.download ? `root disks downloaded by the cluster from ${r.download}` : `guest image ${r.guestImage}`}:`,
        ...r.files.map((f) => `  wrote ${f.file} (${f.kinds.join(', ')})`),
        `apply with: kubectl apply -k ${r.out}`,
      ].join('\n'),
    );
    return;
  }
  const r = await labRender(lab, opts.out);
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
