// An evidence bundle: what it takes to see why a check failed once the lab is gone. Per app, the
// capture of its verify traffic, l2probe's raw result, its final counters and its log; per node,
// what its kind keeps (a VM's serial console, cloud-init output, dmesg, QEMU command line); the
// report and lab status. manifest.json, written last, lists each file with what it is and why.
import { withLegacyKeys } from '../legacy-keys.js';
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Lab } from '../config/lab.js';
import type { EvidenceSource } from '../nodes/node.js';
import { contextOf, type LabContext } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { runQuiet, tail } from '../host/exec.js';
import { capturePath, labPaths } from '../layout.js';
import { measured } from '../verify/checks.js';
import type { Report } from '../verify/report.js';
import { logsArgv } from './access.js';
import { labStatus } from './status.js';
import { labVerify } from './verify-apps.js';
import { makeDir } from '../host/files.js';

export const MANIFEST = 'manifest.json';

export interface EvidenceItem {
  path: string;
  what: string;
  /** Why it could not be kept, when it could not. */
  missing?: string;
}

export interface EvidenceManifest {
  lab: string;
  createdAt: string;
  /** Why the bundle was kept: asked for (--evidence), or a check failed. */
  reason: string;
  failed: string[];
  items: EvidenceItem[];
}

/** Every file below `dir`, as paths relative to it. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * Whether `dir` is an earlier bundle of lab's and nothing else: a manifest of lab's shape, and no
 * file that manifest does not list. A file named manifest.json alone proves nothing (web apps and
 * browser extensions have one), and replacing the folder must never take a file of the user's.
 */
function isOwnBundle(dir: string): boolean {
  let manifest: Partial<EvidenceManifest>;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Partial<EvidenceManifest>;
  } catch {
    return false;
  }
  if (typeof manifest.lab !== 'string' || typeof manifest.createdAt !== 'string' || !Array.isArray(manifest.items))
    return false;
  const listed = new Set([
    MANIFEST,
    ...manifest.items.filter((i) => typeof i?.path === 'string' && !i.missing).map((i) => i.path),
  ]);
  return filesBelow(dir).every((f) => listed.has(f));
}

/** A folder lab may fill: absent, empty, or an earlier bundle of lab's. Anything else is the user's, and stays. */
export function claimEvidenceDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory())
    throw new LabError({
      code: 'USAGE',
      message: `${dir} is not a folder: nothing was written there`,
      hint: 'Name a new folder for --evidence.',
    });
  if (readdirSync(dir).length === 0 || isOwnBundle(dir)) return;
  throw new LabError({
    code: 'USAGE',
    message: `${dir} is not empty and is not an evidence bundle of lab's (it holds files lab's manifest does not list): nothing was written there`,
    hint: 'Name a new folder for --evidence.',
  });
}

/** Keeps the evidence of `report` in `dir`, with the captures labVerify took. Returns the folder's absolute path. */
export async function keepEvidence(
  labOrContext: Lab | LabContext,
  report: Report,
  dir: string,
  reason: string,
): Promise<string> {
  const ctx = contextOf(labOrContext);
  const { lab, paths } = ctx.session;
  const target = resolve(dir);
  claimEvidenceDir(target);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  makeDir(tmp);
  const items: EvidenceItem[] = [];
  const put = (path: string, what: string, content: string | Buffer) => {
    makeDir(dirname(join(tmp, path)));
    writeFileSync(join(tmp, path), content);
    items.push({ path, what });
  };
  const keep = async (path: string, source: EvidenceSource) => {
    try {
      if ('copy' in source) {
        makeDir(dirname(join(tmp, path)));
        copyFileSync(source.copy, join(tmp, path));
        items.push({ path, what: source.what });
        return;
      }
      const r = await runQuiet(source.argv, { timeoutMs: 60_000 });
      if (r.exitCode !== 0) throw new Error(tail(r.stderr || r.stdout, 3) || `exit ${r.exitCode ?? r.signal}`);
      put(path, source.what, source.lastLines ? tail(r.stdout, source.lastLines) : r.stdout);
    } catch (err) {
      items.push({ path, what: source.what, missing: (err as Error).message });
    }
  };
  try {
    put(
      'report.json',
      'the checks with their figures and reasons',
      `${JSON.stringify(withLegacyKeys(report), null, 2)}\n`,
    );
    put(
      'status.json',
      'lab status --json when the evidence was kept',
      `${JSON.stringify(withLegacyKeys(await labStatus(ctx)), null, 2)}\n`,
    );
    for (const { app, node } of report.apps) {
      const checks = report.checks.filter((c) => c.app === app);
      // An app of two ports has a capture of each NIC's wire.
      const wires = [
        { pcap: capturePath(paths, app), file: 'verify.pcap', wire: "the app's wire" },
        ...(lab.apps.find((a) => a.name === app)?.nics ?? []).map((nic) => ({
          pcap: capturePath(paths, app, nic),
          file: `verify-${nic}.pcap`,
          wire: `the wire of its NIC ${nic}`,
        })),
      ];
      for (const { pcap, file, wire } of wires.filter((w) => existsSync(w.pcap))) {
        makeDir(join(tmp, 'apps', app));
        renameSync(pcap, join(tmp, 'apps', app, file));
        items.push({
          path: `apps/${app}/${file}`,
          what: `the verify traffic on ${wire}, both ways, nanosecond timestamps (tcpdump -r reads it)`,
        });
      }
      const probe = measured(checks, 'echo')?.data ?? measured(checks, 'forward')?.data;
      if (probe)
        put(
          `apps/${app}/l2probe.json`,
          "l2probe's raw result of the echo run, or of each way of the forward runs with both ports' telemetry (loss, RTT or one-way percentiles and histogram, per-flow counts)",
          `${JSON.stringify(probe, null, 2)}\n`,
        );
      const control = measured(checks, 'control')?.data;
      if (control?.final)
        put(
          `apps/${app}/counters.json`,
          "the app's final counters per queue, printed when it stopped",
          `${JSON.stringify(control.final, null, 2)}\n`,
        );
      await keep(`apps/${app}/app.log`, {
        file: 'app.log',
        what: "the app's log",
        argv: logsArgv(ctx, node, app, false),
      });
    }
    const state = ctx.state();
    for (const node of lab.nodes) {
      const record = state?.nodes[node.name];
      if (!record) continue;
      for (const source of ctx.of(node.kind).evidence(node, record))
        await keep(`nodes/${node.name}/${source.file}`, source);
    }
    const failed = report.checks.filter((c) => c.status === 'failed').map((c) => `${c.app} ${c.check}: ${c.measured}`);
    const manifest: EvidenceManifest = { lab: lab.name, createdAt: new Date().toISOString(), reason, failed, items };
    writeFileSync(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    return target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Where lab test keeps a bundle it was not given a folder for: the lab's state folder, by time. */
export function defaultEvidenceDir(lab: Lab): string {
  return join(labPaths(lab).evidence, new Date().toISOString().replace(/[:.]/g, '-'));
}

/** lab verify --evidence DIR: the checks with their traffic captured, then the bundle, whatever they found. */
export async function verifyKeepingEvidence(
  labOrContext: Lab | LabContext,
  app: string | undefined,
  dir: string,
  o: { control?: boolean } = {},
): Promise<Report> {
  const ctx = contextOf(labOrContext);
  const { paths } = ctx.session;
  try {
    const report = await labVerify(ctx, app, { capture: true, control: o.control });
    return { ...report, evidence: await keepEvidence(ctx, report, dir, 'asked for with --evidence') };
  } finally {
    rmSync(paths.captures, { recursive: true, force: true });
  }
}
