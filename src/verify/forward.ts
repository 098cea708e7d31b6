// A DUT that forwards between two ports, judged: what its frames must look like when they come
// out, what its ports' telemetry must have counted meanwhile, and where a frame first differed.
// Pure: the checks hand in l2probe's result and the telemetry read before and after.
import type { AppSpec } from '../config/spec-types.js';
import { LabError } from '../errors.js';
import type { PortTelemetry } from '../apps/telemetry.js';
import type { L2ProbeResult } from './probe.js';

/** One of the app's NICs as the tester reaches it, and the DPDK port it is in the app. */
export interface AppEnd {
  name: string;
  address: string;
  mac: string;
  /** The tester's interface on the NIC's wire, and its address there. */
  peerIf: string;
  peerIp: string;
  port: number;
}

/**
 * The MACs a frame must carry when it leaves through `out`: unchanged (l2probe's default for a
 * forward), or as DPDK's l2fwd and testpmd's mac mode write them, the out port's own MAC as the
 * source and 02:00:00:00:00:<out port id> as the destination.
 */
export function rewrittenMacs(
  rewrite: AppSpec['rewrite'],
  out: Pick<AppEnd, 'mac' | 'port'>,
): {
  expectSrc?: string;
  expectDst?: string;
} {
  if (rewrite === 'none') return {};
  return { expectSrc: out.mac, expectDst: `02:00:00:00:00:${out.port.toString(16).padStart(2, '0')}` };
}

/** What one port counted between two reads of the app's telemetry. */
export interface PortDelta {
  nic: string;
  port: number;
  rx: number;
  tx: number;
  /** Per RX queue the app opened. */
  queues_rx: number[];
}

export function portDelta(
  before: PortTelemetry[],
  after: PortTelemetry[],
  end: Pick<AppEnd, 'name' | 'port'>,
): PortDelta {
  const b = before.find((p) => p.port === end.port);
  const a = after.find((p) => p.port === end.port);
  if (!a)
    throw new LabError({ code: 'PROCESS', message: `port ${end.port} (${end.name}) is not in the app's telemetry` });
  return {
    nic: end.name,
    port: end.port,
    rx: a.stats.ipackets - (b?.stats.ipackets ?? 0),
    tx: a.stats.opackets - (b?.stats.opackets ?? 0),
    queues_rx: Array.from(
      { length: a.info.nb_rx_queues },
      (_, q) => (a.stats.q_ipackets[q] ?? 0) - (b?.stats.q_ipackets[q] ?? 0),
    ),
  };
}

/** One direction through the DUT: sent into `from`'s wire, received from `to`'s. */
export interface ForwardRun {
  from: string;
  to: string;
  probe: L2ProbeResult;
  in: PortDelta;
  out: PortDelta;
}

/**
 * Why a direction failed, in words; empty when it passed. Every frame back must be the frame sent
 * with the declared rewrite, and the ports must have counted what the tester saw: the in port each
 * frame sent plus the strays it forwarded too (not probe frames, seen arriving by the tester), the
 * out port every frame that arrived.
 */
export function forwardFaults(run: ForwardRun, frames: number, maxLoss: number): string[] {
  const p = run.probe;
  const faults: string[] = [];
  if (p.sent !== frames) faults.push(`l2probe sent ${p.sent} of ${frames} frames`);
  if (p.lost > Math.floor(maxLoss * p.sent)) faults.push(`${p.lost} lost`);
  if (p.bad_mac) faults.push(`${p.bad_mac} with other MACs than the rewrite declared`);
  if (p.corrupted) faults.push(`${p.corrupted} changed after the MACs`);
  if (p.duplicates) faults.push(`${p.duplicates} duplicates`);
  if (p.first_mismatch) faults.push(describeMismatch(p.first_mismatch));
  if (run.in.rx !== p.sent + p.other)
    faults.push(
      `port ${run.in.port} (${run.in.nic}) received ${run.in.rx} by its telemetry, the tester sent ${p.sent}${p.other ? ` and saw ${p.other} strays` : ''}`,
    );
  if (run.out.tx !== p.arrived)
    faults.push(`port ${run.out.port} (${run.out.nic}) sent ${run.out.tx} by its telemetry, ${p.arrived} arrived`);
  const queued = run.in.queues_rx.reduce((a, b) => a + b, 0);
  if (queued !== run.in.rx) faults.push(`port ${run.in.port}'s RX queues counted ${queued}, the port ${run.in.rx}`);
  return faults;
}

/** Where in l2probe's frame a byte sits: the fields of an Ethernet, IPv4 and UDP frame and l2probe's own header. */
const FIELDS: Array<[end: number, name: string]> = [
  [6, 'destination MAC'],
  [12, 'source MAC'],
  [14, 'EtherType'],
  [34, 'IPv4 header'],
  [42, 'UDP header'],
  [60, "l2probe's header (nonce, sequence, send time)"],
];

export function fieldAt(offset: number): string {
  return FIELDS.find(([end]) => offset < end)?.[1] ?? 'payload';
}

const hex = (b: number) => `0x${b.toString(16).padStart(2, '0')}`;

/** The first differing byte of the first frame that came back other than expected. */
export function describeMismatch(m: NonNullable<L2ProbeResult['first_mismatch']>): string {
  const got = m.received < 0 ? 'the frame ended there' : `got ${hex(m.received)}`;
  return `first differing byte: frame ${m.seq}, byte ${m.offset} (${fieldAt(m.offset)}), expected ${hex(m.expected)}, ${got}`;
}
