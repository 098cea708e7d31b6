// What every node kind's app command line shares: the program and how many queues it opens. Pure.
import { join } from 'node:path';
import type { App, Nic } from '../config/lab.js';

/** Queues the app opens: l2_echo one, the others as many as the NIC offers. */
export function appQueues(app: Pick<App, 'program'>, nic: Pick<Nic, 'queues'>): number {
  return app.program === 'l2_echo' ? 1 : nic.queues;
}

/** The executable: one of lab's apps from `binDir`, or the spec's own command. */
export function appProgram(app: App, binDir: string): string {
  return app.program === 'custom' ? app.command : join(binDir, app.program);
}

/** What follows EAL's "--": lab's apps take their port (-p 0) first; any other app, the spec's args alone. */
export function appArgs(app: App): string[] {
  return app.program === 'custom' ? app.args : ['-p', '0', ...app.args];
}
