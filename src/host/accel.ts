// Which accelerator really runs guests here. /dev/kvm existing proves nothing (on these hosts KVM
// guests hang silently), so KVM counts only when a guest boots under it: SeaBIOS, with no disk,
// must get to "No bootable device." on its debug console within the deadline.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LabError } from '../errors.js';

export type Accel = 'kvm' | 'tcg';

export interface ProbeResult {
  accel: Accel;
  works: boolean;
  ms: number;
  detail: string;
}

const MARKER = 'No bootable device.';

export function probeAccel(accel: Accel, binary = 'qemu-system-x86_64', timeoutMs = 10_000): Promise<ProbeResult> {
  if (accel === 'kvm' && !existsSync('/dev/kvm')) {
    return Promise.resolve({ accel, works: false, ms: 0, detail: '/dev/kvm does not exist' });
  }
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(binary, [
      '-accel', accel, '-machine', 'pc', '-m', '64', '-nodefaults', '-display', 'none', '-no-reboot',
      '-chardev', 'stdio,id=dbg', '-device', 'isa-debugcon,iobase=0x402,chardev=dbg',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const finish = (works: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
      resolve({ accel, works, ms: Date.now() - started, detail });
    };
    const timer = setTimeout(() => finish(false, `no guest output within ${timeoutMs / 1000} s (the guest hangs under ${accel})`), timeoutMs);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(MARKER)) finish(true, 'a guest boots to its firmware prompt');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err) => finish(false, err.message));
    child.on('exit', (code) => finish(output.includes(MARKER), output.trim().split('\n').pop() || `QEMU exited with ${code}`));
  });
}

export interface AccelChoice {
  accel: Accel;
  /** Why this one: shown to the user, so a fallback is never silent. */
  reason: string;
}

export async function chooseAccel(wanted: 'auto' | Accel, binary?: string): Promise<AccelChoice> {
  if (wanted === 'tcg') return { accel: 'tcg', reason: 'accel: tcg in the spec' };
  const kvm = await probeAccel('kvm', binary);
  if (kvm.works) return { accel: 'kvm', reason: `KVM works (probe boot in ${kvm.ms} ms)` };
  if (wanted === 'kvm') {
    throw new LabError({ code: 'ENV_ACCEL', message: `accel: kvm, but KVM does not work here: ${kvm.detail}`, hint: 'Use accel: auto (falls back to TCG) or accel: tcg.' });
  }
  return { accel: 'tcg', reason: `KVM unusable (${kvm.detail}); falling back to TCG` };
}
