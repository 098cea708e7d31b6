// l2probe: its command line (pure) and its JSON result.
import { LabError } from '../errors.js';
import type { Exec } from '../host/exec.js';

/** Where and what l2probe sends, for a single run and for a search alike. */
interface L2ProbeFrames {
  iface: string;
  target: string;
  flows: number;
  /** Frame size without FCS. */
  size: number;
  srcIp: string;
  dstIp: string;
  waitMs?: number;
  /** The echo is a router (the kernel's forwarding): one hop lowers the TTL and redoes the checksum. */
  routed?: boolean;
  /** A DUT that forwards: the frames come out on this interface of the tester instead. */
  rxIface?: string;
  /** The MACs the frames must come back with, where the DUT rewrites them (default: an echo's swap, or a forward's unchanged). */
  expectSrc?: string;
  expectDst?: string;
}

export interface L2ProbeOptions extends L2ProbeFrames {
  count?: number;
  durationS?: number;
  pps?: number;
  flood?: boolean;
  /** Sending threads, each with its share of the rate (l2probe's default is 1). */
  threads?: number;
}

/** RFC 2544 26.1: a binary search on the offered rate for the highest with loss within the tolerance. */
export interface L2ProbeSearchOptions extends L2ProbeFrames {
  trialS: number;
  /** Loss a passing trial may have, in percent. */
  lossPct: number;
  minPps?: number;
  /** Upper bound; without it, a flood trial first measures what the tester can offer. */
  maxPps?: number;
  precisionPct?: number;
}

export interface L2ProbeResult {
  sent: number;
  received: number;
  lost: number;
  bad_mac: number;
  corrupted: number;
  duplicates: number;
  /** Ours and intact, but back after l2probe's window of sequence numbers had moved on: counted lost. */
  late: number;
  /** Frames on the wire that are not probe frames. */
  other: number;
  /** Probe frames of another run or another prober (another nonce): never taken for this run's. */
  foreign: number;
  /** Every frame read where the echoes come back, whatever it was. */
  arrived: number;
  /** The first of this run's frames that came back other than expected: where it first differs (received -1: it ended there). */
  first_mismatch: { seq: number; offset: number; expected: number; received: number } | null;
  frame_size: number;
  /** How many echoes were timed by the kernel's own stamps: on receipt, and on sending (else the stamp in the frame). */
  timestamps: { rx_kernel: number; tx_kernel: number };
  rtt_us: { min: number; p50: number; p99: number; max: number };
  /** The RTT distribution: [bucket middle in µs, echoes], each bucket under 0.1 % wide, empty ones left out. */
  rtt_hist_us: Array<[number, number]>;
  pps: { offered: number; sent: number; echoed: number };
  flows: Array<{ flow: number; sent: number; received: number }>;
}

export interface SearchTrial {
  /** 0: a flood, measuring what the tester can offer. */
  offered_pps: number;
  flood: boolean;
  sent: number;
  received: number;
  lost: number;
  sent_pps: number;
  echoed_pps: number;
  rtt_us: { p50: number; p99: number };
  passed: boolean;
  /** loss: more lost than the tolerance; tester: the tester could not offer the rate. */
  failed_by: 'loss' | 'tester' | null;
}

export interface L2ProbeSearchResult {
  search: {
    frame_size: number;
    trial_s: number;
    loss_tolerance_pct: number;
    precision_pct: number;
    min_pps: number;
    max_pps: number;
    /** The highest rate that passed; 0 if none did. */
    rate_pps: number;
    /** What stopped a higher rate: the DUT's loss, or a tester that could not offer more. */
    limited_by: 'dut' | 'tester' | null;
    trials: SearchTrial[];
  };
  /** The full result of the trial at rate_pps. */
  at_rate: L2ProbeResult | null;
}

function framesArgv(binary: string, o: L2ProbeFrames): string[] {
  return [
    binary,
    '-i',
    o.iface,
    '-t',
    o.target,
    '-k',
    String(o.flows),
    '-s',
    String(o.size),
    '--src-ip',
    o.srcIp,
    '--dst-ip',
    o.dstIp,
    ...(o.waitMs !== undefined ? ['-w', String(o.waitMs)] : []),
    ...(o.routed ? ['--routed'] : []),
    ...(o.rxIface ? ['--rx-iface', o.rxIface] : []),
    ...(o.expectSrc ? ['--expect-src', o.expectSrc] : []),
    ...(o.expectDst ? ['--expect-dst', o.expectDst] : []),
  ];
}

export function l2probeArgv(binary: string, o: L2ProbeOptions): string[] {
  return [
    ...framesArgv(binary, o),
    ...(o.count !== undefined ? ['-n', String(o.count)] : []),
    ...(o.durationS !== undefined ? ['-d', String(o.durationS)] : []),
    ...(o.flood ? ['-F'] : o.pps !== undefined ? ['-r', String(o.pps)] : []),
    ...(o.threads !== undefined ? ['-T', String(o.threads)] : []),
  ];
}

export function l2probeSearchArgv(binary: string, o: L2ProbeSearchOptions): string[] {
  return [
    ...framesArgv(binary, o),
    '--search',
    '--trial',
    String(o.trialS),
    '--loss-tolerance',
    String(o.lossPct),
    ...(o.minPps !== undefined ? ['--min-pps', String(o.minPps)] : []),
    ...(o.maxPps !== undefined ? ['--max-pps', String(o.maxPps)] : []),
    ...(o.precisionPct !== undefined ? ['--precision', String(o.precisionPct)] : []),
  ];
}

/** Runs l2probe on the tester and reads its one JSON result. */
async function runJson<T>(exec: Exec, argv: string[], timeoutMs: number): Promise<T> {
  const r = await exec(argv, timeoutMs);
  if (r.exitCode !== 0)
    throw new LabError({
      code: 'PROCESS',
      message: `l2probe ${r.exitCode === null ? 'was stopped (timeout or signal)' : `exited with ${r.exitCode}`}`,
      hint: r.stderr.trim(),
    });
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new LabError({ code: 'PROCESS', message: 'l2probe printed no JSON result', hint: r.stdout + r.stderr });
  }
}

/** The deadline leaves room for the send time and the late-echo wait. */
export function runL2probe(exec: Exec, binary: string, o: L2ProbeOptions): Promise<L2ProbeResult> {
  const sendS = o.durationS ?? (o.count !== undefined && o.pps ? o.count / o.pps : 10);
  return runJson(exec, l2probeArgv(binary, o), (sendS + 30) * 1000 + (o.waitMs ?? 500));
}

/** A search's trials: the flood, the upper bound, the halvings down to the precision, and the lower bound. */
export function runL2probeSearch(exec: Exec, binary: string, o: L2ProbeSearchOptions): Promise<L2ProbeSearchResult> {
  const trials = 3 + Math.ceil(Math.log2(100 / (o.precisionPct ?? 1)));
  return runJson(exec, l2probeSearchArgv(binary, o), trials * (o.trialS * 1000 + (o.waitMs ?? 500) + 1000) + 30_000);
}
