// Zero-loss throughput (RFC 2544 section 26.1) of a running app, at one frame size: l2probe's
// binary search from the tester, and the row `lab bench` and the throughput check report.
import type { Exec } from '../host/exec.js';
import { runL2probeSearch, type SearchTrial } from './probe.js';

/** RFC 2544 counts a frame with its FCS; the wire l2probe writes to does not carry one. */
export const FCS_BYTES = 4;
/** RFC 2544's frame sizes for Ethernet. */
export const RFC2544_SIZES = [64, 128, 256, 512, 1024, 1280, 1518];
export const MIN_FRAME_SIZE = 64;
export const MAX_FRAME_SIZE = 1518;

/** Where the frames go and where the tester sends from. */
export interface ThroughputTarget {
  nic: { address: string; mac: string; peerIf: string; peerIp: string };
  /** A DUT that forwards: where its frames come out to the tester, and the MACs they leave with. */
  through?: ForwardPath;
  /** Where ping and l2probe run (a namespace here, or a guest), and the l2probe binary there. */
  tester: { exec: Exec; l2probe: string };
}

export interface ThroughputOptions {
  /** With FCS, as RFC 2544 counts it. */
  frameSize: number;
  trialS: number;
  /** Fraction (0..1) of frames a passing trial may lose. */
  lossTolerance: number;
  flows: number;
  /** The search's lower bound (default l2probe's 1000 pps). */
  minPps?: number;
}

export interface ThroughputRow {
  frame_size: number;
  /** The highest offered rate that lost no more than the tolerance; 0 if none did. */
  rate_pps: number;
  /** rate_pps in frame bits (with FCS) per second. */
  mbps: number;
  /** At rate_pps; null if no rate passed. */
  rtt_us: { p50: number; p99: number } | null;
  limited_by: 'dut' | 'tester' | null;
  trials: SearchTrial[];
}

/** The far side of a forwarding DUT, as l2probe receives there. */
export interface ForwardPath {
  peerIf: string;
  peerIp: string;
  expectSrc?: string;
  expectDst?: string;
}

/** l2probe's options for frames that come back (an echo) or come out of the DUT's other port. */
export function forwardOptions(through: ForwardPath | undefined): {
  rxIface?: string;
  expectSrc?: string;
  expectDst?: string;
} {
  if (!through) return {};
  return {
    rxIface: through.peerIf,
    ...(through.expectSrc ? { expectSrc: through.expectSrc } : {}),
    ...(through.expectDst ? { expectDst: through.expectDst } : {}),
  };
}

export async function zeroLossRate(t: ThroughputTarget, o: ThroughputOptions): Promise<ThroughputRow> {
  const r = await runL2probeSearch(t.tester.exec, t.tester.l2probe, {
    iface: t.nic.peerIf,
    target: t.nic.mac,
    srcIp: t.nic.peerIp,
    dstIp: t.through?.peerIp ?? t.nic.address,
    ...forwardOptions(t.through),
    flows: o.flows,
    size: o.frameSize - FCS_BYTES,
    trialS: o.trialS,
    lossPct: o.lossTolerance * 100,
    waitMs: 500,
    ...(o.minPps !== undefined ? { minPps: o.minPps } : {}),
  });
  const rate = r.search.rate_pps;
  return {
    frame_size: o.frameSize,
    rate_pps: rate,
    mbps: Math.round((rate * o.frameSize * 8) / 1e4) / 100,
    rtt_us: r.at_rate ? { p50: r.at_rate.rtt_us.p50, p99: r.at_rate.rtt_us.p99 } : null,
    limited_by: r.search.limited_by,
    trials: r.search.trials,
  };
}
