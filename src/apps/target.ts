// Where an app runs, as the runner sees it: start it, read its log, watch and signal it. Each node
// kind provides one (a process on this host in a namespace, or one in a guest over SSH).
import type { Exec } from '../host/exec.js';
import type { ProcRef } from '../host/process.js';

/** A file of an app's sources, to be built where the app runs. */
export interface SourceFile {
  /** Relative to the source folder, with forward slashes. */
  path: string;
  content: Buffer;
  executable: boolean;
}

export interface AppTarget {
  readonly where: string;
  /** Runs a short command as root where the app runs (beside it, not in it). */
  exec: Exec;
  /** native/telemetry_query there: what asks any DPDK app's telemetry socket. */
  readonly telemetryQuery: string;
  /** Where apps built from the spec's sources are kept there, a folder per build key. */
  readonly appBuildRoot: string;
  /** Writes files into a new folder there. */
  put(dir: string, files: SourceFile[]): Promise<void>;
  start(argv: string[], log: string): Promise<ProcRef>;
  readLog(log: string): Promise<string>;
  alive(ref: ProcRef): Promise<boolean>;
  signal(ref: ProcRef, sig: NodeJS.Signals): Promise<boolean>;
}
