// lab verify: the checks, run against each running app from the tester: the lab namespace, or
// the node verify.from names.
import { requestCounters } from '../apps/runner.js';
import { telemetryCounters } from '../apps/telemetry.js';
import { findNode, placeOf, testerNic, type Lab, type Nic } from '../config/lab.js';
import type { AppHost, TesterHost } from '../nodes/node.js';
import { contextOf, type LabContext } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { startCapture } from '../host/capture.js';
import { withLock } from '../host/lock.js';
import { capturePath, dpdkFilePrefix } from '../layout.js';
import { neighbourArgv } from '../render/hostnet.js';
import { verifyApp, type CheckResult, type VerifySubject } from '../verify/checks.js';
import { makeReport, type Report } from '../verify/report.js';
import { appsToCheck, runningApp, stopAndGiveBack, withHost } from './apps.js';
import { capturePoint, labnsTesterEnd, relayPortSent } from '../wires/registry.js';
import { openLabnsTester } from './labns-tester.js';

/**
 * Where the checks send from: the lab namespace at the far end of the NIC's own wire, or the
 * tester node (its namespace, or its guest over SSH) on its NIC on the same link or network.
 */
async function openTesterFor(ctx: LabContext, nic: Nic): Promise<TesterHost & { nic: { ifname: string; ip: string } }> {
  const { lab, paths } = ctx.session;
  if (lab.verify.from === 'labns') {
    const end = labnsTesterEnd(nic);
    // The spec checks refuse a labns tester for a NIC whose wire has no end there: reaching here is lab's own bug.
    if (!end)
      throw new LabError({ code: 'STATE', message: `${nic.node}.${nic.name}'s wire has no end in the lab namespace` });
    return { ...openLabnsTester(paths), nic: end };
  }
  const peer = testerNic(lab, nic, lab.verify.from);
  if (!peer)
    throw new LabError({ code: 'STATE', message: `${nic.node}.${nic.name} has no link to ${lab.verify.from}` });
  const node = findNode(lab, peer.node)!;
  const tester = await ctx.of(node.kind).openTester(node, ctx.state()?.nodes[node.name]);
  return { ...tester, nic: { ifname: tester.ifname(peer), ip: peer.address } };
}

/** What the checks need of a running app, from its node's app host; close it when the checks are done. */
export async function subjectOf(
  ctx: LabContext,
  name: string,
  host: AppHost,
): Promise<VerifySubject & { close(): void; capture: { netns: string; ifname: string } }> {
  const { lab, paths } = ctx.session;
  const { app, nic } = placeOf(lab, name);
  const s = ctx.state()?.apps[name];
  if (!s || !(await host.target.alive(s.proc)))
    throw new LabError({
      code: 'STATE',
      message: `app ${name} is not running`,
      hint: `Run \`lab run ${name}\` first.`,
    });
  const running = runningApp(host, s);
  const { wire } = nic;
  const relay = wire.kind === 'relay' ? lab.relays.find((r) => r.name === wire.relay) : undefined;
  const tester = await openTesterFor(ctx, nic);
  try {
    const r = await tester.exec(neighbourArgv(tester.nic.ifname, nic), 30_000);
    if (r.exitCode !== 0)
      throw new LabError({
        code: 'PROCESS',
        message: `the tester could not add a neighbour entry for ${nic.address}`,
        hint: r.stderr.trim(),
      });
  } catch (err) {
    tester.close();
    throw err;
  }
  return {
    app: { name, program: app.program },
    nic: { address: nic.address, mac: nic.mac, peerIf: tester.nic.ifname, peerIp: tester.nic.ip },
    tester: { exec: tester.exec, l2probe: tester.l2probe },
    // lab's own apps print their counters on SIGUSR1, which would end any other (its default action).
    counters: () =>
      app.program === 'custom'
        ? telemetryCounters(host.target, name, dpdkFilePrefix(lab.name, name))
        : requestCounters(running),
    stop: () => stopAndGiveBack(ctx, name, host),
    ...(relay ? { wire: { delivered: () => relayPortSent(paths, relay, nic.labnsIf) } } : {}),
    capture: capturePoint(ctx.wires, nic, tester.nic.ifname),
    close: () => tester.close(),
  };
}

export interface VerifyOptions {
  /** Capture each app's verify traffic (layout's capturePath), for an evidence bundle. */
  capture?: boolean;
  /** Run the control check, which stops each app. */
  control?: boolean;
}

export async function labVerify(labOrContext: Lab | LabContext, name?: string, o: VerifyOptions = {}): Promise<Report> {
  const ctx = contextOf(labOrContext);
  const { lab, paths } = ctx.session;
  if (name) placeOf(lab, name);
  return withLock(paths.lock, 'verify', async () => {
    const state = ctx.state();
    const names = appsToCheck(ctx, name);
    const checks: CheckResult[] = [];
    for (const n of names) {
      checks.push(
        ...(await withHost(ctx, placeOf(lab, n).node, state, async (host) => {
          const subject = await subjectOf(ctx, n, host);
          try {
            const capture = o.capture
              ? await startCapture(subject.capture.netns, subject.capture.ifname, capturePath(paths, n))
              : undefined;
            try {
              return await verifyApp(subject, lab.verify, { control: o.control });
            } finally {
              await capture?.stop();
            }
          } finally {
            subject.close();
          }
        })),
      );
    }
    return makeReport(lab, checks);
  });
}
