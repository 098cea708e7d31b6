// ping from the tester, and how many answers came back.
import { LabError } from '../errors.js';
import type { Exec } from '../host/exec.js';

export interface PingResult {
  transmitted: number;
  received: number;
  loss: number;
}

/** iputils ping has no machine-readable output; its summary line is stable across versions. */
export function parsePing(stdout: string): PingResult | undefined {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(stdout);
  if (!m) return undefined;
  const transmitted = Number(m[1]);
  const received = Number(m[2]);
  return { transmitted, received, loss: transmitted ? (transmitted - received) / transmitted : 1 };
}

export async function ping(exec: Exec, address: string, count: number, intervalS: number): Promise<PingResult> {
  const r = await exec(
    ['ping', '-n', '-q', '-c', String(count), '-i', String(intervalS), '-W', '1', address],
    (count * intervalS + 30) * 1000,
  );
  const parsed = parsePing(r.stdout);
  if (!parsed)
    throw new LabError({
      code: 'PROCESS',
      message: `ping ${address} printed no summary`,
      hint: `${r.stdout}${r.stderr}`.trim(),
    });
  return parsed;
}
