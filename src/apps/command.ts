// What every node kind's app command line shares: the program and how many queues it opens. Pure.
import { join } from 'node:path';
import type { App, Nic } from '../config/lab.js';
import { fillPlaceholders } from '../config/placeholders.js';

/** Queues the app opens: l2_echo one, the others as many as the NIC offers. */
export function appQueues(app: Pick<App, 'program'>, nic: Pick<Nic, 'queues'>): number {
  return app.program === 'l2_echo' ? 1 : nic.queues;
}

/** The executable: one of lab's apps from `binDir`, or the spec's own command. */
export function appProgram(app: App, binDir: string): string {
  return app.program === 'custom' ? app.command : join(binDir, app.program);
}

/**
 * What follows EAL's "--": the spec's args with lab's placeholders filled for this node (`device`,
 * the NIC as EAL names it there), after -p 0 for lab's own apps.
 */
export function appArgs(app: App, nic: Pick<Nic, 'queues'>, device: string): string[] {
  const values = {
    device,
    lcores: app.lcoreList,
    queues: String(appQueues(app, nic)),
    port: '0',
    portmask: '0x1',
  };
  const args = app.args.map((a) => fillPlaceholders(a, values));
  return app.program === 'custom' ? args : ['-p', '0', ...args];
}
