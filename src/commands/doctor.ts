// lab doctor: is this host ready? Every tool lab uses, and whether KVM really runs a guest.
import { existsSync } from 'node:fs';
import { probeAccelerators, type AccelProbe } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { run, runQuiet, which } from '../host/exec.js';
import { createQemuUser, qemuRunAs, qemuUserExists } from '../host/qemu-user.js';
import { HOST_TOOLS, type HostTool } from '../host/tools.js';
import { print, type OutputOptions } from './output.js';
import { Steps } from './steps.js';
import { aptProgressTo } from '../host/apt-progress.js';

export interface DoctorOptions extends OutputOptions {
  fix?: boolean;
}

interface ToolStatus {
  tool: string;
  ok: boolean;
  found: string;
  apt: string;
  neededFor: string;
  optional: boolean;
}

async function checkTool(tool: HostTool): Promise<ToolStatus> {
  const base = { tool: tool.name, apt: tool.apt, neededFor: tool.neededFor, optional: Boolean(tool.optional) };
  if ('command' in tool.check) {
    const path = await which(tool.check.command);
    return { ...base, ok: path !== undefined, found: path ?? '' };
  }
  if ('file' in tool.check) {
    const there = existsSync(tool.check.file);
    return { ...base, ok: there, found: there ? tool.check.file : '' };
  }
  const r = await runQuiet(['pkg-config', '--modversion', tool.check.pkgConfig]);
  return { ...base, ok: r.exitCode === 0, found: r.exitCode === 0 ? `version ${r.stdout.trim()}` : '' };
}

async function installMissing(missing: ToolStatus[]): Promise<void> {
  const packages = [...new Set(missing.map((m) => m.apt))];
  const steps = new Steps();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await steps.step('apt-get update', () =>
    run(['apt-get', 'update', '-q'], { env, code: 'ENV_TOOL', what: 'apt-get update', timeoutMs: 600_000 }),
  );
  await steps.step(`apt-get install ${packages.join(' ')}`, () =>
    run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages], {
      env,
      code: 'ENV_TOOL',
      what: 'apt-get install',
      timeoutMs: 1_800_000,
      onLine: aptProgressTo(steps),
    }),
  );
}

export async function doctor(opts: DoctorOptions): Promise<void> {
  let tools = await Promise.all(HOST_TOOLS.map(checkTool));
  // Optional tools are reported, never installed unasked.
  if (opts.fix && tools.some((t) => !t.ok && !t.optional)) {
    await installMissing(tools.filter((t) => !t.ok && !t.optional));
    tools = await Promise.all(HOST_TOOLS.map(checkTool));
  }
  // As root, QEMU drops to a user of its own once its files are open; a user lab runs as already is one.
  const runAs = qemuRunAs();
  if (opts.fix && runAs) await createQemuUser();
  const qemuUser = runAs ? { name: runAs, ok: await qemuUserExists() } : undefined;
  const qemu = tools.find((t) => t.tool === 'qemu-system-x86_64')?.ok;
  const accel: AccelProbe[] = qemu ? await probeAccelerators() : [];
  const missing = [
    ...tools.filter((t) => !t.ok && !t.optional).map((t) => t.tool),
    ...(qemuUser && !qemuUser.ok ? [`the user ${qemuUser.name}`] : []),
  ];
  const problem = missing.length
    ? new LabError(
        {
          code: 'ENV_TOOL',
          message: `missing on this host: ${missing.join(', ')}`,
          hint: opts.fix
            ? 'apt-get or useradd could not provide them; see the output above.'
            : 'Run `npx lab doctor --fix` (as root) to install them with apt and create the user.',
        },
        { printed: Boolean(opts.json) },
      )
    : undefined;
  // Under --json the problems go in the one document, so stdout always parses.
  print(
    opts,
    {
      ok: !problem,
      tools,
      ...(qemuUser ? { qemuUser } : {}),
      accel,
      ...(problem ? { problems: problem.problems } : {}),
    },
    () => {
      const rows = tools.map(
        (t) =>
          `  ${t.ok ? 'ok     ' : t.optional ? 'absent ' : 'MISSING'} ${t.tool.padEnd(20)} ${t.ok ? t.found : `apt: ${t.apt}`}  (${t.neededFor})`,
      );
      if (qemuUser)
        rows.push(
          `  ${qemuUser.ok ? 'ok     ' : 'MISSING'} ${`user ${qemuUser.name}`.padEnd(20)} ${qemuUser.ok ? 'a system user, no login' : 'lab doctor --fix creates it'}  (QEMU runs as it, not as root)`,
        );
      const probes = accel.map(
        (p) =>
          `  ${p.works ? (p.depth === 'firmware' ? 'maybe  ' : 'works  ') : 'no     '} ${p.accel.padEnd(20)} ${p.detail}${p.ms ? ` (${p.ms} ms)` : ''}`,
      );
      return [
        'host tools:',
        ...rows,
        'accelerators (a real probe boot):',
        ...(probes.length ? probes : ['  not probed: QEMU is missing']),
      ].join('\n');
    },
  );
  if (problem) throw problem;
}
