// Where an app runs, as the runner sees it: start it, read its log, watch and signal it. Each node
// kind provides one (a process on this host in a namespace, or one in a guest over SSH).
import type { Exec } from '../host/exec.js';
import type { ProcRef } from '../host/process.js';

export interface AppTarget {
  readonly where: string;
  /** Runs a short command as root where the app runs (beside it, not in it). */
  exec: Exec;
  /** native/telemetry_query there: what asks any DPDK app's telemetry socket. */
  readonly telemetryQuery: string;
  start(argv: string[], log: string): Promise<ProcRef>;
  readLog(log: string): Promise<string>;
  alive(ref: ProcRef): Promise<boolean>;
  signal(ref: ProcRef, sig: NodeJS.Signals): Promise<boolean>;
}
