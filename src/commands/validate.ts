import { loadLab } from '../core/load.js';
import { appSummary, type Lab } from '../config/lab.js';
import { print, type OutputOptions } from './output.js';
import { specRuns } from '../core/spec-runs.js';

export interface ValidateOptions extends OutputOptions {
  file: string;
  force?: boolean;
}

export function summarize(lab: Lab): Record<string, unknown> {
  return {
    name: lab.name,
    file: lab.file,
    nodes: lab.nodes.map((node) => ({
      name: node.name,
      kind: node.kind,
      cpus: node.cpus,
      memoryMiB: node.memoryMiB,
      nics: node.nics.map((n) => ({
        name: n.name,
        queues: n.queues,
        vectors: n.vectors,
        mac: n.mac,
        ip: n.ip,
        labns_ip: n.labns_ip,
        os_driver_for_dpdk: n.os_driver_for_dpdk,
      })),
    })),
    apps: lab.apps.map((a) => ({ name: a.name, program: a.program, node: a.node, nic: a.nic, lcores: a.lcoreList })),
  };
}

export async function validate(opts: ValidateOptions): Promise<void> {
  const lab = loadLab(opts.file, { force: opts.force });
  const runs = specRuns(lab);
  print(opts, { ok: true, lab: summarize(lab), runs }, () => {
    const nodes = lab.nodes.map(
      (node) =>
        `${node.name} (${node.kind}${node.kind === 'qemu' ? ` ${node.arch}` : ''}, ${node.cpus} cpus, ${node.memoryMiB} MiB; ${node.nics.map((n) => `${n.name} ×${n.queues}q`).join(', ')})`,
    );
    const apps = lab.apps.map((a) => `${a.name} (${appSummary(a)}, lcores ${a.lcoreList})`);
    const said = runs.length
      ? [
          '  what this spec runs or fetches, as root (review it as code):',
          ...runs.map((r) => `    ${r.field}: ${r.value}  (${r.where})`),
        ]
      : ["  runs only lab's own programs, from Debian's packages"];
    return [
      `${opts.file}: valid lab "${lab.name}"`,
      `  nodes:  ${nodes.join('; ')}`,
      `  apps: ${apps.join('; ') || 'none'}`,
      ...said,
    ].join('\n');
  });
}
