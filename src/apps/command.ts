// What every node kind's app command line shares: the program, how many queues it opens, which
// DPDK port each of its NICs becomes, and its own args. Pure.
import { join } from 'node:path';
import { isLabApp, type App, type Nic } from '../config/lab.js';
import { fillPlaceholders } from '../config/placeholders.js';

/** Queues the app opens: l2_echo one, the others as many as the NIC offers. */
export function appQueues(app: Pick<App, 'program'>, nic: Pick<Nic, 'queues'>): number {
  return app.program === 'l2_echo' ? 1 : nic.queues;
}

/** The executable: one of lab's apps from `binDir`, the node's DPDK's testpmd, or the spec's own command. */
export function appProgram(app: App, binDir: string): string {
  if (app.program === 'custom') return app.command;
  return app.program === 'testpmd' ? 'dpdk-testpmd' : join(binDir, app.program);
}

/**
 * What lab tells testpmd: its forward mode, a queue pair per NIC queue, every lcore but its main one
 * forwarding, and a statistics period (without one, testpmd run without a terminal reads a line from
 * its standard input, finds it closed, and exits). 16384 mbufs fit the 256 MB a node without
 * hugepages gives EAL, and hold two ports of two queues' rings.
 */
function testpmdArgs(app: App, queues: number): string[] {
  const lcores = Array.isArray(app.lcores) ? app.lcores.length : 2;
  return [
    `--forward-mode=${app.forward_mode}`,
    `--rxq=${queues}`,
    `--txq=${queues}`,
    `--nb-cores=${Math.max(1, lcores - 1)}`,
    '--stats-period=60',
    '--total-num-mbufs=16384',
  ];
}

/** One of the app's NICs as DPDK sees it: the device EAL is given, and the port id it gets. */
export interface AppPort {
  nic: string;
  device: string;
  port: number;
}

/**
 * DPDK numbers ports in the order its buses probe them: virtual devices in the order --vdev gives
 * them, PCI functions by address (the bus scan's order, whatever the order of -a). `devices[i]` is
 * `nics[i]`'s.
 */
export function numberPorts(nics: ReadonlyArray<Pick<Nic, 'name'>>, devices: string[], byAddress: boolean): AppPort[] {
  const order = nics.map((_, i) => i);
  if (byAddress) order.sort((a, b) => devices[a]!.localeCompare(devices[b]!));
  return nics.map((nic, i) => ({ nic: nic.name, device: devices[i]!, port: order.indexOf(i) }));
}

/** An app's command line, and the port each of its NICs becomes. */
export interface AppLaunch {
  argv: string[];
  ports: AppPort[];
}

/**
 * What follows EAL's "--": the spec's args with lab's placeholders filled for this node (`device`
 * and `port` its first NIC's, `portmask` all of its ports), after -p 0 for lab's own apps and
 * lab's own for testpmd.
 */
export function appArgs(app: App, nics: ReadonlyArray<Pick<Nic, 'queues'>>, ports: AppPort[]): string[] {
  const values = {
    device: ports[0]!.device,
    lcores: app.lcoreList,
    queues: String(appQueues(app, nics[0]!)),
    port: String(ports[0]!.port),
    portmask: `0x${ports.reduce((mask, p) => mask | (1 << p.port), 0).toString(16)}`,
  };
  const args = app.args.map((a) => fillPlaceholders(a, values));
  if (app.program === 'testpmd') return [...testpmdArgs(app, appQueues(app, nics[0]!)), ...args];
  return isLabApp(app.program) ? ['-p', '0', ...args] : args;
}
