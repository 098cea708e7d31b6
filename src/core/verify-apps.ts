// lab verify: the checks, run against each running app from the tester: the lab namespace, or
// the node verify.from names.
import { readPorts, telemetryCounters } from '../apps/telemetry.js';
import { findNode, placeOf, testerNic, type Lab, type Nic } from '../config/lab.js';
import type { AppHost, TesterHost } from '../nodes/node.js';
import { contextOf, type LabContext } from '../nodes/registry.js';
import { LabError } from '../errors.js';
import { startCapture } from '../host/capture.js';
import { withLock } from '../host/lock.js';
import { capturePath, dpdkFilePrefix } from '../layout.js';
import { neighbourArgv } from '../render/hostnet.js';
import { verifyApp, type CheckResult, type VerifySubject } from '../verify/checks.js';
import { rewrittenMacs, type AppEnd } from '../verify/forward.js';
import { makeReport, type Report } from '../verify/report.js';
import { appsToCheck, stopAndGiveBack, withHost } from './apps.js';
import { capturePoint, labnsTesterEnd, relayPortSent } from '../wires/registry.js';
import { openLabnsTester } from './labns-tester.js';

/** A tester, open for one command, with its end of each of an app's NICs' wires. */
type OpenTester = TesterHost & { ends: Array<{ ifname: string; ip: string }> };

/**
 * Where the checks send from: the lab namespace at the far end of each NIC's own wire, or the
 * tester node (its namespace, or its guest over SSH) on its NIC on the same link or network.
 */
async function openTesterFor(ctx: LabContext, nics: Nic[]): Promise<OpenTester> {
  const { lab, paths } = ctx.session;
  if (lab.verify.from === 'labns') {
    const ends = nics.map((nic) => {
      const end = labnsTesterEnd(nic);
      // The spec checks refuse a labns tester for a NIC whose wire has no end there: reaching here is lab's own bug.
      if (!end)
        throw new LabError({
          code: 'STATE',
          message: `${nic.node}.${nic.name}'s wire has no end in the lab namespace`,
        });
      return end;
    });
    return { ...openLabnsTester(paths), ends };
  }
  const peers = nics.map((nic) => {
    const peer = testerNic(lab, nic, lab.verify.from);
    if (!peer)
      throw new LabError({ code: 'STATE', message: `${nic.node}.${nic.name} has no link to ${lab.verify.from}` });
    return peer;
  });
  const node = findNode(lab, peers[0]!.node)!;
  const tester = await ctx.of(node.kind).openTester(node, ctx.state()?.nodes[node.name]);
  try {
    return { ...tester, ends: peers.map((peer) => ({ ifname: tester.ifname(peer), ip: peer.address })) };
  } catch (err) {
    tester.close();
    throw err;
  }
}

/** What the checks need of a running app, from its node's app host; close it when the checks are done. */
export async function subjectOf(
  ctx: LabContext,
  name: string,
  host: AppHost,
): Promise<VerifySubject & { close(): void; captures: Array<{ nic: string; netns: string; ifname: string }> }> {
  const { lab, paths } = ctx.session;
  const { app, nic, nics } = placeOf(lab, name);
  const s = ctx.state()?.apps[name];
  if (!s || !(await host.target.alive(s.proc)))
    throw new LabError({
      code: 'STATE',
      message: `app ${name} is not running`,
      hint: `Run \`lab run ${name}\` first.`,
    });
  const { wire } = nic;
  const relay = wire.kind === 'relay' ? lab.relays.find((r) => r.name === wire.relay) : undefined;
  const tester = await openTesterFor(ctx, nics);
  try {
    for (const [i, n] of nics.entries()) {
      const r = await tester.exec(neighbourArgv(tester.ends[i]!.ifname, n), 30_000);
      if (r.exitCode !== 0)
        throw new LabError({
          code: 'PROCESS',
          message: `the tester could not add a neighbour entry for ${n.address}`,
          hint: r.stderr.trim(),
        });
    }
  } catch (err) {
    tester.close();
    throw err;
  }
  const ends: AppEnd[] = nics.map((n, i) => ({
    name: n.name,
    address: n.address,
    mac: n.mac,
    peerIf: tester.ends[i]!.ifname,
    peerIp: tester.ends[i]!.ip,
    port: s.ports?.find((p) => p.nic === n.name)?.port ?? i,
  }));
  const [first, second] = ends;
  const filePrefix = dpdkFilePrefix(lab.name, name);
  return {
    app: { name, program: app.program, does: app.does, rewrite: app.rewrite },
    nic: first!,
    ends,
    ...(app.does === 'forward' && second
      ? { through: { peerIf: second.peerIf, peerIp: second.peerIp, ...rewrittenMacs(app.rewrite, second) } }
      : {}),
    tester: { exec: tester.exec, l2probe: tester.l2probe },
    // Every app's counters come from DPDK's telemetry, lab's own too: one account for every program.
    counters: () => telemetryCounters(host.target, name, filePrefix),
    ports: () => readPorts(host.target, filePrefix),
    stop: () => stopAndGiveBack(ctx, name, host),
    ...(relay ? { wire: { delivered: () => relayPortSent(paths, relay, nic.labnsIf) } } : {}),
    captures: nics.map((n, i) => ({ nic: n.name, ...capturePoint(ctx.wires, n, tester.ends[i]!.ifname) })),
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
            // One capture a wire: an app of two ports has its frames on both.
            const captures = [];
            try {
              for (const c of o.capture ? subject.captures : [])
                captures.push(
                  await startCapture(
                    c.netns,
                    c.ifname,
                    capturePath(paths, n, subject.captures.length > 1 ? c.nic : undefined),
                  ),
                );
              return await verifyApp(subject, lab.verify, { control: o.control });
            } finally {
              for (const c of captures) await c.stop();
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
