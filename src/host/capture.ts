// A packet capture in a network namespace: tcpdump writing a pcap with nanosecond timestamps,
// started before the traffic (it says when it listens) and stopped by the PID lab started.

import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from '../errors.js';
import { spawnPiped } from './exec.js';
import { makeDir } from './files.js';

export interface Capture {
  file: string;
  /** Stops tcpdump and waits until it has written every frame it holds. */
  stop(): Promise<void>;
}

/** A zero-loss search may send millions of frames: past this, the first ones tell the story. */
const MAX_FRAMES = 200_000;
const LISTEN_TIMEOUT_MS = 10_000;

export interface CaptureOptions {
  /**
   * Only frames the interface receives. Such a capture stamps each frame where the receive path
   * does (netif_rx), never in the send path's packet taps, and adds no work to that path.
   */
  inboundOnly?: boolean;
}

export async function startCapture(
  netns: string,
  ifname: string,
  file: string,
  opts: CaptureOptions = {},
): Promise<Capture> {
  makeDir(dirname(file));
  const direction = opts.inboundOnly ? ['-Q', 'in'] : [];
  const child = spawnPiped([
    'ip',
    'netns',
    'exec',
    netns,
    'tcpdump',
    '-i',
    ifname,
    ...direction,
    '-n',
    '-U',
    '--time-stamp-precision=nano',
    '-c',
    String(MAX_FRAMES),
    '-w',
    file,
  ]);
  child.stdin.end();
  let stderr = '';
  const listening = new Promise<boolean>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('listening on')) resolve(true);
    });
    void child.exited.then(() => resolve(false));
    // Unreferenced, as is stop's deadline: a deadline that is not needed any more must not keep lab running.
    void delay(LISTEN_TIMEOUT_MS, false, { ref: false }).then(resolve);
  });
  if (!(await listening)) {
    child.kill();
    throw new LabError({
      code: 'PROCESS',
      message: `tcpdump could not capture on ${ifname} in ${netns}`,
      hint: stderr.trim(),
    });
  }
  return {
    file,
    async stop() {
      child.kill('SIGINT');
      await Promise.race([child.exited, delay(5000, undefined, { ref: false })]);
      child.kill();
    },
  };
}
