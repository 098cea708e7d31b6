// Test helpers: load a lab from text, run the built CLI.
import type { PortStats } from '../../src/apps/telemetry.js';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LabError, type Problem } from '../../src/errors.js';
import { loadLabText } from '../../src/core/load.js';
import type { Lab } from '../../src/config/lab.js';
import type { L2ProbeResult } from '../../src/verify/probe.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function labFrom(text: string, file = 'test.yaml'): Lab {
  return loadLabText(text, file);
}

export function problemsOf(fn: () => unknown): Problem[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof LabError) return err.problems;
    throw err;
  }
  throw new Error('expected a LabError, got none');
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm run build first) exactly as a user would. */
export function lab(args: string[], cwd = ROOT, timeoutMs = 120_000, env: NodeJS.ProcessEnv = process.env): CliResult {
  const r = spawnSync(process.execPath, [`${ROOT}/bin/lab.js`, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    env,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking the test worker: for commands that run for minutes (booting a VM). */
export function labAsync(args: string[], cwd = ROOT, timeoutMs = 120_000, netns?: string): Promise<CliResult> {
  const argv = [process.execPath, `${ROOT}/bin/lab.js`, ...args];
  return runAsync(netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv, cwd, timeoutMs);
}

/** Any command, run to its end without blocking the test's event loop; SIGINT at the deadline. */
export function runAsync(argv: string[], cwd = ROOT, timeoutMs = 120_000): Promise<CliResult> {
  const [program, ...rest] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(program!, rest, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // SIGINT, as a person would stop it: lab then undoes what it made.
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export const MINIMAL = `name: t
nodes:
  dut:
    cpus: 3
    nics:
      - name: dp0
        queues: 2
        ip: 10.10.0.2/24
apps:
  echo:
    program: l2_echo
    node: dut
    nic: dp0
  multi:
    program: l2_multi_echo
    node: dut
    nic: dp0
`;

/** l2probe's result of a clean run: every one of `sent` frames came back, timed by the kernel. */
export function cleanProbe(sent: number): L2ProbeResult {
  return {
    sent,
    received: sent,
    lost: 0,
    bad_mac: 0,
    corrupted: 0,
    duplicates: 0,
    late: 0,
    other: 0,
    foreign: 0,
    arrived: sent,
    first_mismatch: null,
    frame_size: 128,
    timestamps: { rx_kernel: sent, tx_kernel: sent },
    rtt_us: { min: 1, p50: 2, p99: 3, max: 4 },
    rtt_hist_us: [[2, sent]],
    pps: { offered: 500, sent: 500, echoed: 500 },
    flows: [{ flow: 0, sent, received: sent }],
  };
}

/** A port's /ethdev/stats as DPDK 22.11 answers it: `rx` frames on its RX queues, `tx` sent; 16 queue counters. */
export function portStats(rx: number[], tx: number): PortStats {
  const pad = (q: number[]) => [...q, ...Array<number>(16 - q.length).fill(0)];
  return {
    ipackets: rx.reduce((a, b) => a + b, 0),
    opackets: tx,
    ibytes: 0,
    obytes: 0,
    imissed: 0,
    ierrors: 0,
    oerrors: 0,
    rx_nombuf: 0,
    q_ipackets: pad(rx),
    q_opackets: pad([tx]),
  };
}
