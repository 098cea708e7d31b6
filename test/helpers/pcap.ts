// The wire's own round-trip times, from a nanosecond pcap taken on the tester's side of the wire:
// each echo is paired with the request that carries the same bytes after the MACs.
import { readFileSync } from 'node:fs';

const NANOSECOND_PCAP = 0xa1b23c4d;

export interface Frame {
  ns: bigint;
  data: Buffer;
}

export function readPcap(file: string): Frame[] {
  const b = readFileSync(file);
  if (b.readUInt32LE(0) !== NANOSECOND_PCAP) throw new Error(`${file} is not a little-endian nanosecond pcap`);
  const frames: Frame[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    const included = b.readUInt32LE(off + 8);
    frames.push({
      ns: BigInt(b.readUInt32LE(off)) * 1_000_000_000n + BigInt(b.readUInt32LE(off + 4)),
      data: b.subarray(off + 16, off + 16 + included),
    });
    off += 16 + included;
  }
  return frames;
}

const macAt = (data: Buffer, offset: number) =>
  [...data.subarray(offset, offset + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** RTTs in µs, sorted, of the frames `tester` sent to `dut` that came back from it with every byte after the MACs as sent. */
export function wireRtts(frames: Frame[], tester: string, dut: string): number[] {
  const sent = new Map<string, bigint>();
  const rtts: number[] = [];
  for (const f of frames) {
    const key = f.data.subarray(12).toString('hex');
    if (macAt(f.data, 6) === tester && macAt(f.data, 0) === dut) sent.set(key, f.ns);
    else if (macAt(f.data, 6) === dut && macAt(f.data, 0) === tester && sent.has(key))
      rtts.push(Number(f.ns - sent.get(key)!) / 1000);
  }
  return rtts.sort((a, b) => a - b);
}

/** Frames from several captures of one clock, in the order they were stamped. */
export function byTime(frames: Frame[]): Frame[] {
  return frames.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
}

/** The same percentile l2probe reports: the sorted value at floor((n - 1) × q). */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.floor((sorted.length - 1) * q)]!;
}
