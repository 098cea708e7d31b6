// The command line: flags and commands only. The work lives in commands/, loaded when asked for.
import { cac } from 'cac';
import { LabError, closest, formatProblem } from './errors.js';
import { labVersion } from './assets.js';
import { shellQuote } from './render/shell.js';

export const cli = cac('lab');
const version = labVersion();
let jsonOutput = false;

/**
 * Every option that takes a value, as the user typed it: cac (through mri) turns "42" into a number
 * and "" into 0, and a second -f into a list. A path or list is a string, given once and not empty.
 */
function typedValues(opts: Record<string, unknown>): void {
  const argv = process.argv.slice(2);
  const end = argv.indexOf('--');
  const words = end < 0 ? argv : argv.slice(0, end);
  for (const option of [...(cli.matchedCommand?.options ?? []), ...cli.globalCommand.options].filter(
    (o) => o.required,
  )) {
    const flags = option.names.map((n) =>
      n.length === 1 ? `-${n}` : `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    );
    const values: string[] = [];
    words.forEach((word, i) => {
      for (const flag of flags) {
        if (word === flag) values.push(words[i + 1] ?? '');
        else if (word.startsWith(`${flag}=`)) values.push(word.slice(flag.length + 1));
      }
    });
    const shown = flags.at(-1)!;
    if (values.length > 1)
      throw new LabError({
        code: 'USAGE',
        message: `${shown} is given ${values.length} times (${values.map((v) => JSON.stringify(v)).join(', ')})`,
        hint: `Give ${shown} once.`,
      });
    if (values.length === 1 && values[0]!.trim() === '')
      throw new LabError({
        code: 'USAGE',
        message: `${shown} is given an empty value`,
        hint: `Give ${shown} a value: ${option.rawName}.`,
      });
    if (values.length === 1) opts[option.name] = values[0];
  }
}

/**
 * What a command needs root for, said before it does anything: a command that would otherwise stop
 * half-way on EACCES. Given the command's arguments, it says why, or nothing where these need no root.
 */
type RootNeed = string | ((...args: never[]) => string | undefined);

/** Every command reports its error here, once, and exits with the error's code. */
function action<T extends Record<string, unknown>>(fn: (...args: never[]) => Promise<void>, root?: RootNeed) {
  return async (...args: unknown[]) => {
    const opts = (args[args.length - 1] ?? {}) as T;
    typedValues(opts);
    jsonOutput = Boolean(opts.json);
    const why = typeof root === 'function' ? (root as (...a: unknown[]) => string | undefined)(...args) : root;
    if (why !== undefined) requireRoot(why);
    await (fn as (...a: unknown[]) => Promise<void>)(...args);
  };
}

function requireRoot(why: string): void {
  if (process.getuid?.() !== 0) {
    const line = ['lab', ...process.argv.slice(2)];
    throw new LabError({
      code: 'ENV_HOST',
      message: `\`${line.slice(0, 2).join(' ')}\` needs root: ${why}`,
      hint: `Run it as root: sudo ${line.map(shellQuote).join(' ')}. lab validate, render, graph, init and the image list need no root.`,
    });
  }
}

const LAB_ROOT = 'it creates or changes network namespaces, taps, VMs and their processes';
const STATE_ROOT = "it reads the lab's state, which lab up keeps for root alone";

const fileOption = ['-f, --file <file>', 'The lab spec', { default: 'lab.yaml' }] as const;
const targetOption = [
  '--target <target>',
  'local (this host, the default) or kubevirt (in the tester pod, on the VMs a cluster runs: docs/cluster.md)',
] as const;

/** Where lab up --target kubevirt finds the cluster's VMs and their keys. */
function clusterFlags<T extends ReturnType<typeof cli.command>>(c: T): T {
  return c
    .option('--keys <dir>', 'With --target kubevirt: the keys lab render wrote (id_ed25519, nodes/<node>/…)')
    .option(
      '--address <list>',
      'With --target kubevirt: NODE=HOST:PORT,… where a VM answers SSH (default <node>.lab:22)',
    ) as T;
}

cli
  .command('validate', 'Check the lab spec: schema and semantics, every error with file:line:col')
  .option(...fileOption)
  .option('--force', 'Skip the semantic checks (the schema still applies)')
  .option('--json', 'Machine-readable output')
  .action(
    action(async (opts: { file: string; force?: boolean; json?: boolean }) =>
      (await import('./commands/validate.js')).validate(opts),
    ),
  );

cli
  .command(
    'init [file]',
    'Write a commented starter spec (default lab.yaml) that passes lab validate; never overwrites',
  )
  .option(
    '--kind <kind>',
    'netns (a namespace, seconds, no VM) or qemu (one VM with a multiqueue virtio NIC) (default: netns)',
  )
  .option('--tester', 'Add a tester node linked to the DUT; the checks run from it')
  .option('--name <name>', "The lab's name (default: the folder's name)")
  .option('--json', 'Machine-readable output')
  .action(
    action(async (file: string | undefined, opts: import('./commands/init.js').InitOptions) =>
      (await import('./commands/init.js')).init(file ?? 'lab.yaml', opts),
    ),
  );

cli
  .command('migrate', "Rewrite a spec in lab 0.1's words (vms, driver, host_ip, vm, host) in today's, comments kept")
  .option(...fileOption)
  .option('--write', 'Save the result in place (else: print it on stdout)')
  .option('--json', 'Machine-readable output')
  .action(
    action(async (opts: { file: string; write?: boolean; json?: boolean }) =>
      (await import('./commands/migrate.js')).migrate(opts),
    ),
  );

cli
  .command(
    'render',
    'A dry run: write every generated file (qemu.sh, user-data, meta-data, network-config), or with --target kubevirt the manifests for a cluster; start, probe and generate nothing',
  )
  .option(...fileOption)
  .option('--out <dir>', "Where to write (default: the lab's state folder .lab/<name>/, its kubevirt/ for that target)")
  .option('--target <target>', 'local (this host) or kubevirt (a Kubernetes cluster with KubeVirt and Multus)', {
    default: 'local',
  })
  .option('--namespace <ns>', 'kubevirt: the namespace, in place of cluster.namespace')
  .option('--force', 'Skip the semantic checks')
  .option('--json', 'Machine-readable output')
  .action(
    action(
      async (opts: {
        file: string;
        out?: string;
        target: string;
        namespace?: string;
        force?: boolean;
        json?: boolean;
      }) => (await import('./commands/render.js')).render(opts),
    ),
  );

cli
  .command('doctor', 'Check the host tools lab needs and whether KVM really runs a guest')
  .option('--fix', 'Install missing tools with apt-get (root)')
  .option('--json', 'Machine-readable output')
  .action(
    action(
      async (opts: { fix?: boolean; json?: boolean }) => (await import('./commands/doctor.js')).doctor(opts),
      (opts: { fix?: boolean }) =>
        opts.fix ? 'it installs packages with apt-get and creates the lab-qemu user' : undefined,
    ),
  );

const lifecycle = () => import('./commands/lifecycle.js');
type FileOpts = { file: string; json?: boolean; force?: boolean };

clusterFlags(
  cli
    .command('up', 'Create and start the lab: image, namespaces, taps or veths, VMs; wait until each is ready')
    .option(...fileOption)
    .option(...targetOption)
    .option('--force', 'Skip the semantic checks')
    .option('--json', 'Machine-readable output'),
).action(action(async (opts: FileOpts) => (await lifecycle()).up(opts), LAB_ROOT));
cli
  .command(
    'reset [node]',
    'Back to the provisioned state in seconds: stop every app, give NICs back, restart each QEMU VM from its provisioned snapshot',
  )
  .option(...fileOption)
  .option(...targetOption)
  .option('--json', 'Machine-readable output')
  .action(action(async (node: string | undefined, opts: FileOpts) => (await lifecycle()).reset(node, opts), LAB_ROOT));
cli
  .command('status [node]', "Each node's and app's state, or one node's")
  .option(...fileOption)
  .option(...targetOption)
  .option('--json', 'Machine-readable output')
  .action(
    action(async (node: string | undefined, opts: FileOpts) => (await lifecycle()).status(node, opts), STATE_ROOT),
  );
cli
  .command(
    'down [node]',
    'Stop apps and nodes, remove namespaces, taps and veths; keep the image cache. With a node, only that one',
  )
  .option(...fileOption)
  .option(...targetOption)
  .option('--purge', 'Also remove the state folder')
  .option('--json', 'Machine-readable output')
  .action(
    action(
      async (node: string | undefined, opts: FileOpts & { purge?: boolean }) => (await lifecycle()).down(node, opts),
      LAB_ROOT,
    ),
  );
cli
  .command('run <app>', 'Take the NIC from the kernel, start the app, wait for its ready line')
  .option(...fileOption)
  .option(...targetOption)
  .option('--lcores <list>', 'Override the lcore list')
  .option('--detach', 'Return once the app is ready, leaving it running (else: follow its log; Ctrl-C stops it)')
  .option('--force', 'Skip the semantic checks (to reproduce a pitfall)')
  .option('--json', 'Machine-readable output')
  .action(
    action(
      async (app: string, opts: FileOpts & { lcores?: string; detach?: boolean }) =>
        (await lifecycle()).runApp(app, opts),
      LAB_ROOT,
    ),
  );
cli
  .command('stop <app>', 'Stop an app, collect its counters, give the NIC back to the kernel')
  .option(...fileOption)
  .option(...targetOption)
  .option('--json', 'Machine-readable output')
  .action(action(async (app: string, opts: FileOpts) => (await lifecycle()).stop(app, opts), LAB_ROOT));
/** What lab verify and lab test write beside their output. */
function reportOptions<T extends ReturnType<typeof cli.command>>(c: T): T {
  return c
    .option('--junit <file>', 'Also write JUnit XML (junit-10.xsd: a testsuite per app, a testcase per check)')
    .option(
      '--html <file>',
      'Also write a self-contained HTML report (checks, RTT histogram and CDF, queues, topology)',
    )
    .option('--summary <file>', 'Also append the report as Markdown (e.g. "$GITHUB_STEP_SUMMARY")')
    .option(
      '--evidence <dir>',
      'Keep the evidence (captures, logs, l2probe JSON, QEMU command lines, status) in DIR',
    ) as T;
}
type ReportOpts = FileOpts & import('./commands/lifecycle.js').ReportFlags & { control?: boolean };
reportOptions(
  cli
    .command('verify [app]', 'Kernel bypass, echo, RSS and latency checks on running apps, which keep running')
    .option(...fileOption)
    .option(...targetOption)
    .option('--control', 'Also the control check: stop the app, then the kernel must answer again')
    .option('--json', 'Machine-readable output'),
).action(action(async (app: string | undefined, opts: ReportOpts) => (await lifecycle()).verify(app, opts), LAB_ROOT));
cli
  .command('graph', 'Draw the topology from the spec alone: nodes, NICs, links, apps')
  .option(...fileOption)
  .option('--format <format>', 'mermaid, dot, json, or svg (needs Graphviz) (default: mermaid)')
  .action(action(async (opts: { file: string; format?: string }) => (await import('./commands/graph.js')).graph(opts)));
cli
  .command('bench [app]', 'Zero-loss throughput (RFC 2544 26.1) per frame size against a running app, from the tester')
  .option(...fileOption)
  .option(...targetOption)
  .option('--sizes <list>', 'Frame sizes in bytes with FCS (default: 64,128,256,512,1024,1280,1518)')
  .option('--trial <secs>', 'Seconds each trial of the search sends for (default: 1)')
  .option('--loss-tolerance <pct>', 'Loss a passing trial may have, in percent (default: 0)')
  .option('--csv <file>', 'Also write the table as CSV')
  .option('--html <file>', 'Also write a self-contained HTML report (zero-loss pps and RTT by frame size, topology)')
  .option('--json', 'Machine-readable output')
  .action(
    action(
      async (app: string | undefined, opts: import('./commands/bench.js').BenchFlags) =>
        (await import('./commands/bench.js')).bench(app, opts),
      LAB_ROOT,
    ),
  );
cli
  .command(
    'impair [wire]',
    'Show the impaired wires, or change one on a running lab (a link or network with `impair:`; name it, its network, or a NIC on it)',
  )
  .option(...fileOption)
  .option('--delay-us <us>', 'One-way delay in microseconds')
  .option('--jitter-us <us>', 'Uniform jitter around the delay, in microseconds')
  .option('--loss <pct>', 'Loss in each direction, in percent')
  .option('--rate-mbit <mbit>', 'Line rate in Mbit/s (0: no limit)')
  .option('--clear', 'Start from no impairment (the flags given still apply)')
  .option('--json', 'Machine-readable output')
  .action(
    action(
      async (wire: string | undefined, opts: import('./commands/impair.js').ImpairFlags) =>
        (await import('./commands/impair.js')).impair(wire, opts),
      LAB_ROOT,
    ),
  );
reportOptions(
  clusterFlags(
    cli
      .command(
        'test',
        'The whole sequence: up, then run, verify and stop each app, then down; the evidence is kept when a check fails',
      )
      .option(...fileOption)
      .option(...targetOption)
      .option('--force', 'Skip the semantic checks')
      .option('--json', 'Machine-readable output'),
  ),
).action(action(async (opts: ReportOpts) => (await lifecycle()).test(opts), LAB_ROOT));
cli
  .command('ssh <node> [...cmd]', 'A shell on a node, or one command (after --) with its exit code passed through')
  .option(...fileOption)
  .option(...targetOption)
  .action(
    action(
      async (node: string, cmd: string[], opts: FileOpts & { '--'?: string[] }) =>
        (await lifecycle()).ssh(node, [...cmd, ...(opts['--'] ?? [])], opts),
      LAB_ROOT,
    ),
  );
cli
  .command(
    'logs <node> [source]',
    "A node's own log (a VM's serial console by default, its cloud-init output) or an app's log",
  )
  .option(...fileOption)
  .option(...targetOption)
  .option('-F, --follow', 'Keep following')
  .action(
    action(
      async (node: string, source: string | undefined, opts: FileOpts & { follow?: boolean }) =>
        (await lifecycle()).logs(node, source, opts),
      STATE_ROOT,
    ),
  );

cli
  .command(
    'images [action] [node]',
    "The guest image cache: list it, build the spec's image ahead of time (build), prune (keeps the spec's image and any a VM has open), export a node's image for another engine (export NODE), or make the cluster tester's image (tester)",
  )
  .option(...fileOption)
  .option(
    '--all',
    'prune: also the image the spec uses and its provisioned snapshots (never one a running VM has open)',
  )
  .option('--format <format>', 'export: containerdisk (an OCI archive for KubeVirt)', { default: 'containerdisk' })
  .option(
    '--out <file>',
    'export, tester: the archive to write (default: <lab>-<node>.containerdisk.tar, lab-tester-<version>.tar here)',
  )
  .option('--json', 'Machine-readable output')
  .action(
    action(
      async (
        what: string | undefined,
        node: string | undefined,
        opts: { file: string; all?: boolean; format: string; out?: string; json?: boolean },
      ) => (await import('./commands/images.js')).images(what, node, opts),
      (what: string | undefined) =>
        what === 'build'
          ? 'it builds the guest image with mmdebstrap'
          : what === 'export'
            ? 'it reads the guest image cache, and builds the image with mmdebstrap when it is not there'
            : what === 'tester'
              ? 'it builds the tester image with mmdebstrap'
              : undefined,
    ),
  );

cli.help();
cli.version(version);

/**
 * docs/cli.md: every command with its arguments and options, from the definitions above, so the
 * reference cannot drift (test/unit/cli-reference.test.ts; `npm run gen:cli-reference` rewrites it).
 */
export function cliReference(): string {
  const out = [
    '# CLI reference',
    '',
    '<!-- Generated from src/cli.ts by `npm run gen:cli-reference`; a test fails when it is stale. -->',
    '',
    'Every command takes `-h, --help`. Exit codes: 0 success, 1 a verification failed, 2 usage or spec',
    'error, 3 host problem, 4 timeout, 130 interrupted.',
  ];
  for (const c of cli.commands) {
    out.push('', `## \`lab ${c.rawName}\``, '', `${c.description}.`);
    if (c.options.length) {
      out.push('', '| option | |', '|---|---|');
      for (const o of c.options) out.push(`| \`${o.rawName}\` | ${o.description.replace(/\|/g, '\\|')} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Runs the command line (bin/lab.js). */
export async function main(): Promise<void> {
  // A reader that went away (a closed pipe, a killed parent) must not end lab in the middle of undoing what it made.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  try {
    cli.parse(process.argv, { run: false });
    if (!cli.matchedCommand && cli.args[0] === 'help') {
      cli.outputHelp();
      return;
    }
    if (!cli.matchedCommand && cli.args.length) {
      const typed = String(cli.args[0]);
      const near = closest(typed, cli.commands.map((c) => c.name.split(' ')[0]!).filter(Boolean));
      throw new LabError({
        code: 'USAGE',
        message: `unknown command "${typed}"`,
        hint: `${near ? `Did you mean \`lab ${near}\`? ` : ''}See \`lab --help\`.`,
      });
    }
    if (!cli.matchedCommand && !cli.options.help && !cli.options.version) cli.outputHelp();
    await cli.runMatchedCommand();
  } catch (err) {
    report(err);
  }
}

function report(err: unknown): void {
  if (err instanceof LabError) {
    // A result already on stdout (a verification report, doctor's findings) says what failed.
    const reportedAlready = jsonOutput && err.printed;
    if (!reportedAlready && jsonOutput)
      process.stdout.write(`${JSON.stringify({ ok: false, problems: err.problems }, null, 2)}\n`);
    else if (!reportedAlready)
      process.stderr.write(`${err.problems.map((p) => `error: ${formatProblem(p)}`).join('\n')}\n`);
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
