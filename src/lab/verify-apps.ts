// lab verify: the checks, run against each running app from the lab namespace (the tester).
import { join } from 'node:path';
import { requestCounters } from '../apps/runner.js';
import { NATIVE_BUILD } from '../assets.js';
import { findVm, placeOf, testerNic, type Lab, type Nic } from '../config/lab.js';
import { runPlan } from '../host/netns.js';
import { staticNeighbourCommand } from '../render/hostnet.js';
import type { AppHost } from '../drivers/node.js';
import { openDrivers, type Drivers } from '../drivers/registry.js';
import { LabError } from '../errors.js';
import { withLock } from '../host/lock.js';
import { quiet } from '../progress.js';
import { readState } from '../state/store.js';
import { verifyApp, type CheckResult, type VerifySubject } from '../verify/checks.js';
import { makeReport, type Report } from '../verify/report.js';
import { runningApp, stopAndGiveBack, withHost } from './apps.js';

/** Where the checks send from: the lab namespace at the far end of the NIC's own wire, or the tester node's NIC on the same link or network. */
function testerOf(drivers: Drivers, nic: Nic): { netns: string; ifname: string; ip: string } {
  const { lab, paths } = drivers.session;
  const peer = lab.verify.from === 'host' ? undefined : testerNic(lab, nic, lab.verify.from);
  if (!peer) return { netns: paths.netns, ifname: nic.hostIf, ip: nic.host_ip };
  const vm = findVm(lab, peer.vm)!;
  // The spec checks allow only a tester whose kind has link ends.
  return { netns: drivers.of(vm.driver).linkEnd(vm)!, ifname: peer.name, ip: peer.address };
}

/** What the checks need of a running app, from its node's app host. */
export async function subjectOf(drivers: Drivers, name: string, host: AppHost): Promise<VerifySubject> {
  const { lab, paths } = drivers.session;
  const { app, nic } = placeOf(lab, name);
  const s = readState(paths)?.apps[name];
  if (!s || !(await host.target.alive(s.proc))) throw new LabError({ code: 'STATE', message: `app ${name} is not running`, hint: `Run \`lab run ${name}\` first.` });
  const running = runningApp(host, s);
  const tester = testerOf(drivers, nic);
  await runPlan([staticNeighbourCommand(tester.netns, tester.ifname, nic)]);
  return {
    app: { name, program: app.program },
    nic: { address: nic.address, mac: nic.mac, peerIf: tester.ifname, peerIp: tester.ip },
    tester: { netns: tester.netns, l2probe: join(NATIVE_BUILD, 'l2probe') },
    counters: () => requestCounters(running),
    stop: () => stopAndGiveBack(drivers, name, host),
  };
}

export async function labVerify(lab: Lab, name?: string): Promise<Report> {
  const drivers = openDrivers(lab, quiet);
  const { paths } = drivers.session;
  if (name) placeOf(lab, name);
  return withLock(paths.lock, 'verify', async () => {
    const state = readState(paths);
    const names = name ? [name] : Object.keys(state?.apps ?? {});
    if (!names.length) throw new LabError({ code: 'STATE', message: `no app of lab ${lab.name} is running`, hint: `Start one: lab run ${lab.apps[0]?.name ?? 'APP'}` });
    const checks: CheckResult[] = [];
    for (const n of names) {
      checks.push(...(await withHost(drivers, placeOf(lab, n).vm, state, async (host) => verifyApp(await subjectOf(drivers, n, host), lab.verify))));
    }
    return makeReport(lab.name, checks);
  });
}
