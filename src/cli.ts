// The command line: flags and commands only. The work lives in commands/, loaded when asked for.
import { cac } from 'cac';
import { readFileSync } from 'node:fs';
import { LabError, formatProblem } from './errors.js';
import { packagePath } from './assets.js';

const cli = cac('lab');
const version = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
let jsonOutput = false;

/** Every command reports its error here, once, and exits with the error's code. */
function action<T extends Record<string, unknown>>(fn: (...args: never[]) => Promise<void>) {
  return async (...args: unknown[]) => {
    const opts = (args[args.length - 1] ?? {}) as T;
    jsonOutput = Boolean(opts.json);
    await (fn as (...a: unknown[]) => Promise<void>)(...args);
  };
}

function notBuilt(command: string, issue: string) {
  return async () => {
    throw new LabError({ code: 'NOT_BUILT', message: `\`lab ${command}\` is not built yet (${issue}).`, hint: 'Today: `lab validate`, `lab render`, `lab doctor`.' });
  };
}

const fileOption = ['-f, --file <file>', 'The lab spec', { default: 'lab.yaml' }] as const;

cli
  .command('validate', 'Check the lab spec: schema and semantics, every error with file:line:col')
  .option(...fileOption)
  .option('--force', 'Skip the semantic checks (the schema still applies)')
  .option('--json', 'Machine-readable output')
  .action(action(async (opts: { file: string; force?: boolean; json?: boolean }) => (await import('./commands/validate.js')).validate(opts)));

cli
  .command('render', 'Write every generated file (qemu.sh, user-data, meta-data, network-config) without starting anything')
  .option(...fileOption)
  .option('--out <dir>', "Where to write (default: the lab's state folder .lab/<name>/)")
  .option('--force', 'Skip the semantic checks')
  .option('--json', 'Machine-readable output')
  .action(action(async (opts: { file: string; out?: string; force?: boolean; json?: boolean }) => (await import('./commands/render.js')).render(opts)));

cli
  .command('doctor', 'Check the host tools lab needs and whether KVM really runs a guest')
  .option('--fix', 'Install missing tools with apt-get (root)')
  .option('--json', 'Machine-readable output')
  .action(action(async (opts: { fix?: boolean; json?: boolean }) => (await import('./commands/doctor.js')).doctor(opts)));

cli.command('up', 'Build or reuse the image, start the VMs, wait for SSH and cloud-init').option(...fileOption).option('--json', 'Machine-readable output').action(action(notBuilt('up', 'issue 4')));
cli.command('status', "Each VM's state, accelerator, uptime, SSH port, NICs").option(...fileOption).option('--json', 'Machine-readable output').action(action(notBuilt('status', 'issue 4')));
cli.command('ssh <vm> [...cmd]', 'A shell on a VM, or one command with its exit code passed through').option(...fileOption).action(action(notBuilt('ssh', 'issue 4')));
cli.command('logs <vm> [source]', 'serial, cloud-init or an app log').option(...fileOption).option('-F, --follow', 'Keep following').action(action(notBuilt('logs', 'issue 4')));
cli.command('down', 'Stop the VMs, remove taps and the namespace; keep the image cache').option(...fileOption).option('--purge', 'Also remove the state folder').action(action(notBuilt('down', 'issue 4')));
cli.command('run <app>', 'Bind the NIC and start an app, wait for its ready line').option(...fileOption).option('--lcores <list>', 'Override the lcore list').option('--detach', 'Return once the app is ready').option('--force', 'Skip the semantic checks').action(action(notBuilt('run', 'issue 5')));
cli.command('stop <app>', 'Stop an app, collect its counters, give the NIC back to the kernel').option(...fileOption).action(action(notBuilt('stop', 'issue 5')));
cli.command('verify [app]', 'Kernel bypass, echo, RSS, latency and control checks').option(...fileOption).option('--json', 'Machine-readable output').option('--junit <file>', 'Also write JUnit XML').action(action(notBuilt('verify', 'issue 5')));
cli.command('test', 'The whole sequence: up, run and verify each app, down').option(...fileOption).option('--json', 'Machine-readable output').action(action(notBuilt('test', 'issue 5')));

cli.help();
cli.version(version);

async function main(): Promise<void> {
  try {
    cli.parse(process.argv, { run: false });
    if (!cli.matchedCommand && cli.args.length) {
      throw new LabError({ code: 'USAGE', message: `unknown command "${cli.args[0]}"`, hint: 'See `lab --help`.' });
    }
    if (!cli.matchedCommand && !cli.options.help && !cli.options.version) cli.outputHelp();
    await cli.runMatchedCommand();
  } catch (err) {
    report(err);
  }
}

function report(err: unknown): void {
  if (err instanceof LabError) {
    if (jsonOutput) process.stdout.write(`${JSON.stringify({ ok: false, problems: err.problems }, null, 2)}\n`);
    else process.stderr.write(`${err.problems.map((p) => `error: ${formatProblem(p)}`).join('\n')}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  // cac's own errors (unknown option, missing argument) are usage errors.
  if (err instanceof Error && err.name === 'CACError') {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`lab: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 70;
}

await main();
