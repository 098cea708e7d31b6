import { loadLab } from '../lab/load.js';
import type { Lab } from '../config/lab.js';
import { print, type OutputOptions } from './output.js';
import { specRuns } from '../lab/spec-runs.js';

export interface ValidateOptions extends OutputOptions {
  file: string;
  force?: boolean;
}

export function summarize(lab: Lab): Record<string, unknown> {
  return {
    name: lab.name,
    file: lab.file,
    vms: lab.vms.map((vm) => ({
      name: vm.name,
      driver: vm.driver,
      cpus: vm.cpus,
      memoryMiB: vm.memoryMiB,
      nics: vm.nics.map((n) => ({
        name: n.name,
        queues: n.queues,
        vectors: n.vectors,
        mac: n.mac,
        ip: n.ip,
        host_ip: n.host_ip,
        driver: n.driver,
      })),
    })),
    apps: lab.apps.map((a) => ({ name: a.name, program: a.program, vm: a.vm, nic: a.nic, lcores: a.lcoreList })),
  };
}

export async function validate(opts: ValidateOptions): Promise<void> {
  const lab = loadLab(opts.file, { force: opts.force });
  const runs = specRuns(lab);
  print(opts, { ok: true, lab: summarize(lab), runs }, () => {
    const vms = lab.vms.map(
      (vm) =>
        `${vm.name} (${vm.driver}, ${vm.cpus} cpus, ${vm.memoryMiB} MiB; ${vm.nics.map((n) => `${n.name} ×${n.queues}q`).join(', ')})`,
    );
    const apps = lab.apps.map((a) => `${a.name} (${a.program} on ${a.vm}.${a.nic}, lcores ${a.lcoreList})`);
    const said = runs.length
      ? [
          '  what this spec runs or fetches, as root (review it as code):',
          ...runs.map((r) => `    ${r.field}: ${r.value}  (${r.where})`),
        ]
      : ["  runs only lab's own programs, from Debian's packages"];
    return [
      `${opts.file}: valid lab "${lab.name}"`,
      `  vms:  ${vms.join('; ')}`,
      `  apps: ${apps.join('; ') || 'none'}`,
      ...said,
    ].join('\n');
  });
}
