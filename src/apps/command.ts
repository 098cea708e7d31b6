// How each app is started: its full command line. Pure.
import { join } from 'node:path';
import type { App, Lab, Nic } from '../config/lab.js';

/** Queues the app opens: l2_echo one, the others as many as the NIC offers. */
export function appQueues(app: Pick<App, 'program'>, nic: Pick<Nic, 'queues'>): number {
  return app.program === 'l2_echo' ? 1 : nic.queues;
}

function program(app: App, binDir: string): string {
  return app.program === 'custom' ? app.command : join(binDir, app.program);
}

export function dpdkFilePrefix(lab: Pick<Lab, 'name'>, app: Pick<App, 'name'>): string {
  return `lab-${lab.name}-${app.name}`;
}

/**
 * The netns tier: DPDK's af_packet PMD on the veth, no hugepages, no PCI scan. Lcores are mapped
 * explicitly onto the host's CPUs, so an app with more lcores than the host has CPUs still runs
 * (oversubscribed) instead of failing in EAL. qpairs gives af_packet one socket per queue, joined
 * in a fan-out group that spreads flows over them: the "backend" RSS.
 */
export function netnsAppArgv(lab: Pick<Lab, 'name'>, app: App, nic: Nic, binDir: string, hostCpus: number): string[] {
  const ids = Array.isArray(app.lcores) ? app.lcores : [];
  return [
    program(app, binDir),
    '--lcores', ids.map((id) => `${id}@${id % hostCpus}`).join(','),
    '--no-huge', '-m', '256', '--no-pci',
    '--file-prefix', dpdkFilePrefix(lab, app),
    '--vdev', `net_af_packet0,iface=${nic.name},qpairs=${appQueues(app, nic)}`,
    ...app.eal_args,
    '--', '-p', '0',
    ...app.args,
  ];
}

/** Where the guest's build of the native apps lives (cloud-init runs make there). */
export const GUEST_BIN = '/opt/lab/native/build';

/** In a VM: the NIC bound to vfio-pci or uio_pci_generic, on the hugepages lab reserved. */
export function vmAppArgv(lab: Pick<Lab, 'name'>, app: App, pci: string): string[] {
  return [program(app, GUEST_BIN), '-l', app.lcoreList, '-a', pci, '--file-prefix', dpdkFilePrefix(lab, app), ...app.eal_args, '--', '-p', '0', ...app.args];
}
