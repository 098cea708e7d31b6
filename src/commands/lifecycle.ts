// The lab's life-cycle verbs: each loads the lab, calls src/core/, prints. Nothing else.
import type { Lab } from '../config/lab.js';
import { LabError } from '../errors.js';
import { attach } from '../host/exec.js';
import { appendNoFollow, writeAtomic } from '../host/files.js';
import { logsArgv, shellArgv } from '../core/access.js';
import { followApp, labRun, labStop, type StopAppResult } from '../core/apps.js';
import { labDown } from '../core/down.js';
import { reportEnvironment } from '../core/environment.js';
import { verifyKeepingEvidence } from '../core/evidence.js';
import { loadLab, type LoadOptions } from '../core/load.js';
import { addressesOf, targetOf } from './target.js';
import { labReset } from '../core/reset.js';
import { labStatus } from '../core/status.js';
import { labTest } from '../core/test-run.js';
import { labUp } from '../core/up.js';
import type { AttachOptions } from '../core/attach.js';
import { labVerify } from '../core/verify-apps.js';
import { topologyOf } from '../render/graph.js';
import { renderHtmlReport } from '../verify/report-html.js';
import { reportJUnit, reportMarkdown, reportTable, type Report } from '../verify/report.js';
import { print, type OutputOptions } from './output.js';
import { contextOf, openContext, type LabContext } from '../nodes/registry.js';
import { quiet } from '../progress.js';
import { seconds, Steps } from './steps.js';

interface FileOptions extends OutputOptions {
  file: string;
  force?: boolean;
  target?: string;
}

/** What up and test take on a cluster. */
interface ClusterFlags {
  keys?: string;
  address?: string;
}

/** --keys and --address are for a cluster's VMs, which only lab up --target kubevirt finds. */
function clusterOptions(opts: FileOptions & ClusterFlags): AttachOptions {
  if ((opts.keys !== undefined || opts.address !== undefined) && targetOf(opts.target) !== 'kubevirt')
    throw new LabError({
      code: 'USAGE',
      message: `--${opts.keys !== undefined ? 'keys' : 'address'} is for --target kubevirt`,
      hint: 'On this host lab starts the VMs and makes their keys itself.',
    });
  const addresses = addressesOf(opts.address);
  return { ...(opts.keys !== undefined ? { keys: opts.keys } : {}), ...(addresses ? { addresses } : {}) };
}

function load(opts: FileOptions, force: boolean | undefined, more: LoadOptions = {}): Lab {
  return loadLab(opts.file, { force, target: targetOf(opts.target), ...more });
}

export async function up(opts: FileOptions & ClusterFlags): Promise<void> {
  const steps = new Steps();
  const r = await labUp(load(opts, opts.force), steps, clusterOptions(opts));
  print(opts, { ...r, timings: steps.timings }, () => {
    const head = r.alreadyUp
      ? `lab ${r.lab} is already up: nothing changed`
      : `lab ${r.lab} is up (namespace ${r.netns})`;
    const nodes = r.nodes.flatMap((v) => [
      `  ${v.node}  ${v.kind}${v.accel ? `  accel ${v.accel}  ssh 127.0.0.1:${v.sshPort}` : ''}${v.address ? `  ssh ${v.address}` : ''}  namespace ${v.netns}`,
      ...v.nics.map(
        (n) =>
          `    ${n.name}: ${n.guestIf ? `guest ${n.guestIf}, ${n.guestQueues} combined channels (ethtool -l), ` : ''}${n.ip} mac ${n.mac}, ${n.queues} queue(s)  ⇄  ${n.link ?? (n.network ? `network ${n.network}` : `labns ${n.labns_ip}`)}${n.labnsIf ? ` (lab namespace interface ${n.labnsIf})` : ''}`,
      ),
    ]);
    const image = (r.images ?? []).map((i) => `  image (${i.arch}): ${i.reused ? 'reused' : 'built'} ${i.dir}`);
    return [head, ...image, ...nodes].join('\n');
  });
}

export async function down(node: string | undefined, opts: FileOptions & { purge?: boolean }): Promise<void> {
  if (node !== undefined && opts.purge)
    throw new LabError({
      code: 'USAGE',
      message: "--purge removes the whole lab's state folder: it takes no node",
      hint: `Run \`lab down ${node}\` alone, or \`lab down --purge\` for the whole lab.`,
    });
  const r = await labDown(load(opts, true), Boolean(opts.purge), node);
  const what = node ? `node ${node} of lab ${r.lab}` : `lab ${r.lab}`;
  print(
    opts,
    r,
    () =>
      (r.removed.length
        ? [`${what} is down; removed:`, ...r.removed.map((x) => `  ${x}`)].join('\n')
        : `${what} was not up: nothing to remove`) + (r.purged ? '\nstate folder removed' : ''),
  );
}

export async function reset(node: string | undefined, opts: FileOptions): Promise<void> {
  const steps = new Steps();
  const r = await labReset(load(opts, true), steps, node);
  print(opts, r, () =>
    r.nodes
      .map(
        (v) =>
          `${v.node} is back in its provisioned state (${seconds(v.ms)})${v.appsStopped.length ? `; stopped ${v.appsStopped.join(', ')}` : ''}`,
      )
      .join('\n'),
  );
}

export async function status(node: string | undefined, opts: FileOptions): Promise<void> {
  const r = await labStatus(load(opts, true), node);
  print(opts, r, () => {
    const width = Math.max(8, ...r.nodes.map((v) => v.node.length));
    const nodes = r.nodes.map((v) => {
      const qemu = v.accel
        ? `  pid ${v.pid}  accel ${v.accel}  ssh 127.0.0.1:${v.sshPort}  up ${v.uptimeS} s`
        : v.pid
          ? `  QEMU pid ${v.pid} runs with no record of it: \`lab down\` stops it`
          : '';
      const nics = v.nics.map(
        (n) =>
          `${n.name} ${n.ip} ×${n.queues}q${n.guestIf ? ` (guest ${n.guestIf})` : ''}${n.labnsIf ? ` ⇄ ${n.labnsIf}` : ''}`,
      );
      return `  ${v.node.padEnd(width)} ${v.kind.padEnd(6)} ${v.state.padEnd(8)} ${v.netns}${qemu}  ${nics.join(', ')}`;
    });
    const apps = r.apps.map(
      (a) =>
        `  ${a.app.padEnd(16)} on ${a.node}  ${a.state}  pid ${a.pid}  ${a.queues} queue(s), rss ${a.rss}  log ${a.log}`,
    );
    return [
      `lab ${r.lab}: ${r.up ? 'up' : 'not up'}`,
      'nodes:',
      ...nodes,
      'apps:',
      ...(apps.length ? apps : ['  none running']),
    ].join('\n');
  });
}

export async function runApp(app: string, opts: FileOptions & { lcores?: string; detach?: boolean }): Promise<void> {
  const lab = load(opts, opts.force, opts.lcores ? { appLcores: { app, lcores: String(opts.lcores) } } : {});
  const r = await labRun(lab, app);
  print(opts, r, () =>
    r.alreadyRunning
      ? `${r.app} is already running on ${r.node} (pid ${r.pid}): nothing changed`
      : [
          `${r.app} runs on ${r.node}.${r.ports.length > 1 ? r.ports.map((p) => `${p.nic} (port ${p.port})`).join(' and ') : r.nic}${r.pci ? ` (PCI ${r.pci})` : ''} (${r.where}): pid ${r.pid}, ${r.ready.queues} queue(s) on lcores ${r.ready.lcores.join(',')}, RSS by ${r.ready.rss}, driver ${r.ready.driver}, MAC ${r.ready.mac}`,
          ...(r.build
            ? [
                `${r.build.built ? 'built from its sources' : 'its sources unchanged: the build'} ${r.build.key} (${r.argv[0]})`,
              ]
            : []),
          `log: ${r.log}`,
        ].join('\n'),
  );
  if (opts.detach || r.alreadyRunning) return;
  process.stderr.write(`following ${r.app}'s log; Ctrl-C stops it (use --detach to leave it running)\n`);
  const stopped = await followApp(lab, app, (text) => process.stderr.write(text));
  process.stderr.write(`${stoppedLine(stopped)}\n`);
}

function stoppedLine(r: StopAppResult): string {
  const q =
    r.final?.queues.map((x) => `q${x.queue}: rx ${x.rx} tx ${x.tx} dropped ${x.dropped}`).join('; ') ??
    'no final counters';
  return `${r.app} stopped (${r.how}); NIC given back to the kernel\n  final counters: ${q}`;
}

export async function stop(app: string, opts: FileOptions): Promise<void> {
  const r = await labStop(load(opts, true), app);
  print(opts, r, () => (r.wasRunning ? stoppedLine(r) : `${r.app} was not running: nothing changed`));
}

export interface ReportFlags {
  junit?: string;
  html?: string;
  /** Markdown of the same report, appended (GitHub's $GITHUB_STEP_SUMMARY). */
  summary?: string;
  evidence?: string;
}

async function finish(
  verb: 'verify' | 'test',
  opts: OutputOptions & ReportFlags,
  labOrContext: Lab | LabContext,
  report: Report,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const ctx = contextOf(labOrContext);
  const { lab } = ctx.session;
  if (opts.junit) writeAtomic(opts.junit, reportJUnit(report));
  if (opts.html) {
    const environment = report.environment ?? (await reportEnvironment(ctx));
    writeAtomic(
      opts.html,
      renderHtmlReport({ title: `lab ${lab.name}: ${verb}`, report, topology: topologyOf(lab), environment }),
    );
  }
  if (opts.summary) appendNoFollow(opts.summary, reportMarkdown(report));
  print(opts, { ...report, ...extra }, () => reportTable(report));
  if (!report.passed)
    throw new LabError(
      { code: 'VERIFY_FAILED', message: `${report.counts.failed} check(s) failed` },
      { printed: true },
    );
}

export async function verify(
  app: string | undefined,
  opts: FileOptions & ReportFlags & { control?: boolean },
): Promise<void> {
  // One context for the checks, the evidence and the reports: the state read once, the kinds opened once.
  const ctx = openContext(load(opts, true), quiet);
  await finish(
    'verify',
    opts,
    ctx,
    opts.evidence
      ? await verifyKeepingEvidence(ctx, app, opts.evidence, { control: opts.control })
      : await labVerify(ctx, app, { control: opts.control }),
  );
}

export async function test(opts: FileOptions & ReportFlags & ClusterFlags): Promise<void> {
  const steps = new Steps();
  const started = Date.now();
  const lab = load(opts, opts.force);
  const report = await labTest(lab, steps, { evidence: opts.evidence, ...clusterOptions(opts) });
  if (!opts.json)
    process.stderr.write(
      `lab test: ${seconds(Date.now() - started)} in all${report.evidence ? `; evidence kept in ${report.evidence}` : ''}\n`,
    );
  await finish('test', opts, lab, report, { timings: steps.timings, ms: Date.now() - started });
}

export async function ssh(node: string, command: string[], opts: FileOptions): Promise<void> {
  process.exitCode = await attach(shellArgv(load(opts, true), node, command));
}

export async function logs(
  node: string,
  source: string | undefined,
  opts: FileOptions & { follow?: boolean },
): Promise<void> {
  process.exitCode = await attach(logsArgv(load(opts, true), node, source, Boolean(opts.follow)));
}
