// l2probe: its command line (pure) and its JSON result.
import { LabError } from '../errors.js';
import { run } from '../host/exec.js';

export interface L2ProbeOptions {
  iface: string;
  target: string;
  count?: number;
  durationS?: number;
  pps?: number;
  flood?: boolean;
  flows: number;
  size: number;
  srcIp: string;
  dstIp: string;
  waitMs?: number;
  /** The echo is a router (the kernel's forwarding): one hop lowers the TTL and redoes the checksum. */
  routed?: boolean;
}

export interface L2ProbeResult {
  sent: number;
  received: number;
  lost: number;
  bad_mac: number;
  corrupted: number;
  duplicates: number;
  /** Frames on the wire that are not probe frames. */
  other: number;
  /** Probe frames of another run or another prober (another nonce): never taken for this run's. */
  foreign: number;
  frame_size: number;
  /** How many echoes were timed by the kernel's own stamps: on receipt, and on sending (else the stamp in the frame). */
  timestamps: { rx_kernel: number; tx_kernel: number };
  rtt_us: { min: number; p50: number; p99: number; max: number };
  pps: { offered: number; sent: number; echoed: number };
  flows: Array<{ flow: number; sent: number; received: number }>;
}

export function l2probeArgv(binary: string, o: L2ProbeOptions): string[] {
  return [
    binary, '-i', o.iface, '-t', o.target, '-k', String(o.flows), '-s', String(o.size),
    '--src-ip', o.srcIp, '--dst-ip', o.dstIp,
    ...(o.count !== undefined ? ['-n', String(o.count)] : []),
    ...(o.durationS !== undefined ? ['-d', String(o.durationS)] : []),
    ...(o.flood ? ['-F'] : o.pps !== undefined ? ['-r', String(o.pps)] : []),
    ...(o.waitMs !== undefined ? ['-w', String(o.waitMs)] : []),
    ...(o.routed ? ['--routed'] : []),
  ];
}

/** Runs l2probe inside a namespace; the deadline leaves room for the send time and the late-echo wait. */
export async function runL2probe(netns: string, binary: string, o: L2ProbeOptions): Promise<L2ProbeResult> {
  const sendS = o.durationS ?? (o.count !== undefined && o.pps ? o.count / o.pps : 10);
  const r = await run(['ip', 'netns', 'exec', netns, ...l2probeArgv(binary, o)], { what: 'l2probe', timeoutMs: (sendS + 30) * 1000 + (o.waitMs ?? 500) });
  try {
    return JSON.parse(r.stdout) as L2ProbeResult;
  } catch {
    throw new LabError({ code: 'PROCESS', message: 'l2probe printed no JSON result', hint: r.stdout + r.stderr });
  }
}
