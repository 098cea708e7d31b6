// lab impair: show or change the impairment of a lab's impaired wires.
import { describeImpairment } from '../render/graph.js';
import { labImpair, type ImpairChange } from '../core/impair.js';
import { loadLab } from '../core/load.js';
import { print, type OutputOptions } from './output.js';

export interface ImpairFlags extends OutputOptions {
  file: string;
  delayUs?: number | string;
  jitterUs?: number | string;
  loss?: number | string;
  rateMbit?: number | string;
  clear?: boolean;
}

export async function impair(wire: string | undefined, opts: ImpairFlags): Promise<void> {
  const change: ImpairChange = {
    ...(opts.clear ? { clear: true } : {}),
    ...(opts.delayUs !== undefined ? { delay_us: opts.delayUs } : {}),
    ...(opts.jitterUs !== undefined ? { jitter_us: opts.jitterUs } : {}),
    ...(opts.loss !== undefined ? { loss: opts.loss } : {}),
    ...(opts.rateMbit !== undefined ? { rate_mbit: opts.rateMbit } : {}),
  };
  const r = await labImpair(loadLab(opts.file, { force: true }), wire, change);
  print(opts, r, () => {
    const head = r.changed ? [`${r.changed.wire}: was ${describeImpairment(r.changed.before)}`] : [];
    const wires = r.wires.map(
      (w) =>
        `${w.wire.padEnd(8)} ${w.label}: ${describeImpairment(w.impair)}  ${w.running ? `relay pid ${w.pid}` : 'relay not running (lab up starts it)'}`,
    );
    return [
      ...head,
      ...(wires.length ? wires : [`lab ${r.lab} has no impaired wire: give a link or network \`impair:\` in the spec`]),
    ].join('\n');
  });
}
