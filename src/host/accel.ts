// Which accelerator really runs guests here. /dev/kvm existing proves nothing, and neither does
// firmware: on these hosts SeaBIOS runs under KVM while a Linux kernel hangs before its first line.
// So KVM counts only when the guest's own kernel boots under it, through its whole init up to
// mounting a root file system (which, given none, ends in a panic that QEMU turns into an exit).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { LabError } from '../errors.js';
import { writeAtomic } from './files.js';

export type Accel = 'kvm' | 'tcg';

export interface ProbeResult {
  accel: Accel;
  works: boolean;
  ms: number;
  /** 'kernel': a Linux kernel booted; 'firmware': only the BIOS was tried (no kernel at hand). */
  depth: 'kernel' | 'firmware' | 'none';
  detail: string;
}

export interface ProbeOptions {
  binary?: string;
  /** The -cpu the lab would use with this accelerator. */
  cpu?: string;
  /** The guest's kernel; without one only the firmware is tried, which is weaker evidence. */
  kernel?: string;
  timeoutMs?: number;
}

const FIRMWARE_MARKER = 'No bootable device.';
const KERNEL_MARKER = 'VFS: Unable to mount root fs';

/** The probe guest: the kernel with no root (its init runs to the end, then panics), or the bare firmware. */
export function probeArgv(accel: Accel, o: ProbeOptions): string[] {
  const common = [
    o.binary ?? 'qemu-system-x86_64', '-accel', accel, ...(o.cpu ? ['-cpu', o.cpu] : []),
    '-machine', 'pc', '-m', '256', '-nodefaults', '-display', 'none', '-no-reboot',
  ];
  if (o.kernel) return [...common, '-serial', 'stdio', '-kernel', o.kernel, '-append', 'console=ttyS0 panic=-1'];
  return [...common, '-chardev', 'stdio,id=dbg', '-device', 'isa-debugcon,iobase=0x402,chardev=dbg'];
}

export function probeAccel(accel: Accel, o: ProbeOptions = {}): Promise<ProbeResult> {
  if (accel === 'kvm' && !existsSync('/dev/kvm')) {
    return Promise.resolve({ accel, works: false, ms: 0, depth: 'none', detail: '/dev/kvm does not exist' });
  }
  const depth = o.kernel ? 'kernel' : 'firmware';
  const marker = o.kernel ? KERNEL_MARKER : FIRMWARE_MARKER;
  const what = o.kernel ? 'the guest kernel boots to its root mount' : 'the firmware runs (no guest kernel at hand to try a full boot)';
  // A working KVM boots the kernel in a second or two; TCG needs a few more.
  const timeoutMs = o.timeoutMs ?? (accel === 'kvm' ? 15_000 : 60_000);
  const started = Date.now();
  const [binary, ...args] = probeArgv(accel, o);
  return new Promise((resolve) => {
    const child = spawn(binary!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let guestPrinted = false; // on stdout, the guest's console; stderr is QEMU's own
    let settled = false;
    const finish = (works: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
      resolve({ accel, works, ms: Date.now() - started, depth, detail });
    };
    const silence = () => (o.kernel ? `the guest kernel ${guestPrinted ? 'did not finish booting' : 'printed nothing'}` : 'the firmware printed nothing');
    const timer = setTimeout(() => finish(false, `${silence()} within ${timeoutMs / 1000} s: guests hang under ${accel} here`), timeoutMs);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(marker)) finish(true, what);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      guestPrinted = true;
      collect(chunk);
    });
    child.stderr.on('data', collect);
    child.on('error', (err) => finish(false, err.message));
    child.on('exit', (code) => {
      const booted = output.includes(marker);
      finish(booted, booted ? what : output.trim().split('\n').pop() || `QEMU exited with ${code}`);
    });
  });
}

export interface AccelChoice {
  accel: Accel;
  /** Why this one: shown to the user, so a fallback is never silent. */
  reason: string;
}

/**
 * A KVM verdict holds until the host reboots or /dev/kvm changes (a module loaded, permissions
 * changed), so `lab up` does not pay for a hanging probe every time. The cache holds this boot's
 * verdicts only, keyed by /dev/kvm and by what was booted.
 */
interface ProbeCache {
  boot: string;
  results: Record<string, ProbeResult>;
}

function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.ctimeMs}`;
  } catch {
    return 'none';
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function readProbeCache(file: string, boot: string): ProbeCache {
  try {
    const cache = JSON.parse(readFileSync(file, 'utf8')) as ProbeCache;
    if (cache.boot === boot && cache.results) return cache;
  } catch {
    // absent or unreadable: start afresh
  }
  return { boot, results: {} };
}

/** probeAccel('kvm'), remembered in `cacheFile` for this boot of the host; firmware-only verdicts are not kept. */
export async function probeKvmCached(o: ProbeOptions, cacheFile?: string): Promise<ProbeResult & { cached: boolean }> {
  const key = JSON.stringify([stamp('/dev/kvm'), o.binary ?? '', o.cpu ?? '', o.kernel ?? '', o.kernel ? stamp(o.kernel) : '']);
  const cache = cacheFile ? readProbeCache(cacheFile, bootId()) : undefined;
  const hit = cache?.results[key];
  if (hit) return { ...hit, cached: true };
  const result = await probeAccel('kvm', o);
  if (cacheFile && cache && result.depth === 'kernel') {
    cache.results[key] = result;
    writeAtomic(cacheFile, `${JSON.stringify(cache, null, 2)}\n`);
  }
  return { ...result, cached: false };
}

export async function chooseAccel(wanted: 'auto' | Accel, o: ProbeOptions = {}, cacheFile?: string): Promise<AccelChoice> {
  if (wanted === 'tcg') return { accel: 'tcg', reason: 'accel: tcg in the spec' };
  const kvm = await probeKvmCached(o, cacheFile);
  const when = kvm.cached ? 'probed earlier this boot' : `probe boot in ${kvm.ms} ms`;
  if (kvm.works) return { accel: 'kvm', reason: `KVM works: ${kvm.detail} (${when})` };
  if (wanted === 'kvm') {
    throw new LabError({ code: 'ENV_ACCEL', message: `accel: kvm, but KVM does not work here: ${kvm.detail}`, hint: 'Use accel: auto (falls back to TCG) or accel: tcg.' });
  }
  return { accel: 'tcg', reason: `KVM unusable: ${kvm.detail} (${when}); falling back to TCG` };
}
