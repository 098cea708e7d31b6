// Which accelerator really runs guests here. /dev/kvm existing proves nothing, and neither does
// firmware: on these hosts SeaBIOS runs under KVM while a Linux kernel hangs before its first line,
// and on others QEMU aborts outright. So KVM counts only when the guest's own kernel boots under
// it, through its whole init up to mounting a root file system (which, given none, ends in a panic
// that QEMU turns into an exit).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from '../../errors.js';
import { spawnPiped } from '../../host/exec.js';
import { writeAtomic } from '../../host/files.js';
import { accelProbeArgv, PROBE_MARKERS, type Accel, type ProbeBoot, type QemuProfiles } from '../../render/qemu.js';
import { qemuRunAs, qemuUserExists } from '../../host/qemu-user.js';

export interface AccelProbe {
  accel: Accel;
  works: boolean;
  ms: number;
  /** 'kernel': a Linux kernel booted; 'disk': a downloaded image booted from its disk into init; 'firmware': only the BIOS was tried (nothing at hand to boot). */
  depth: 'kernel' | 'disk' | 'firmware' | 'none';
  detail: string;
}

export interface ProbeOptions {
  /** The guest's kernel, or for a downloaded image its disk; without either only the firmware is tried, which is weaker evidence. */
  kernel?: string;
  disk?: string;
  timeoutMs?: number;
}

const PROBES = {
  kernel: { what: 'the guest kernel boots to its root mount', silence: 'the guest kernel' },
  disk: { what: 'the guest image boots from its disk into init', silence: "the guest image's boot" },
  firmware: { what: 'the firmware runs (no guest kernel or disk at hand to try a full boot)', silence: 'the firmware' },
} as const;

export async function probeAccel(accel: Accel, profiles: QemuProfiles, o: ProbeOptions = {}): Promise<AccelProbe> {
  if (accel === 'kvm' && !existsSync('/dev/kvm'))
    return { accel, works: false, ms: 0, depth: 'none', detail: '/dev/kvm does not exist' };
  const depth = o.kernel ? 'kernel' : o.disk ? 'disk' : 'firmware';
  const boot: ProbeBoot = o.kernel ? { kernel: o.kernel } : o.disk ? { disk: o.disk } : {};
  const markers: readonly string[] = PROBE_MARKERS[depth];
  const { what } = PROBES[depth];
  // A working KVM boots the kernel in a second or two; TCG needs a few more.
  const timeoutMs = o.timeoutMs ?? (accel === 'kvm' ? 15_000 : 60_000);
  const started = Date.now();
  // Confined like the VMs, once the user exists: a downloaded image boots here too.
  const runAs = qemuRunAs() && (await qemuUserExists()) ? qemuRunAs() : undefined;
  const child = spawnPiped(accelProbeArgv(profiles, accel, boot, runAs));
  child.stdin.end();
  let output = '';
  let guestPrinted = false; // on stdout, the guest's console; stderr is QEMU's own
  const seen = new Promise<void>((resolve) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (markers.some((m) => output.includes(m))) resolve();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      guestPrinted = true;
      collect(chunk);
    });
    child.stderr.on('data', collect);
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  // Once QEMU exits, what it printed last may still be in the pipe: read it before judging.
  const drained = child.exited.then(async (exit) => {
    await Promise.race([
      new Promise((resolve) => child.stdout.once('close', resolve)),
      delay(1000, undefined, { ref: false }),
    ]);
    return exit;
  });
  const outcome = await Promise.race([seen.then(() => 'seen' as const), drained, timedOut]);
  clearTimeout(timer);
  child.kill();
  const result = (works: boolean, detail: string): AccelProbe => ({
    accel,
    works,
    ms: Date.now() - started,
    depth,
    detail,
  });
  if (outcome === 'seen' || markers.some((m) => output.includes(m))) return result(true, what);
  if (outcome === 'timeout') {
    const silence = `${PROBES[depth].silence} ${depth !== 'firmware' && guestPrinted ? 'did not finish booting' : 'printed nothing'}`;
    return result(false, `${silence} within ${timeoutMs / 1000} s: guests hang under ${accel} here`);
  }
  return result(
    false,
    outcome.error?.message ?? (output.trim().split('\n').pop() || `QEMU exited with ${outcome.code ?? outcome.signal}`),
  );
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
  results: Record<string, AccelProbe>;
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

function probeKey(profiles: QemuProfiles, o: ProbeOptions): string {
  const booted = o.kernel ?? o.disk ?? '';
  return JSON.stringify([
    stamp('/dev/kvm'),
    profiles.binary,
    profiles.accel.kvm.cpu,
    booted,
    booted ? stamp(booted) : '',
  ]);
}

/**
 * The accelerator as far as it is known without booting anything (lab render): what the spec
 * fixes, or for auto a verdict cached this boot; else TCG, marked unknown.
 */
export function knownAccel(
  wanted: 'auto' | Accel,
  profiles: QemuProfiles,
  o: ProbeOptions,
  cacheFile: string,
): AccelChoice & { known: boolean } {
  if (wanted !== 'auto') return { accel: wanted, reason: `accel: ${wanted} in the spec`, known: true };
  const hit = readProbeCache(cacheFile, bootId()).results[probeKey(profiles, o)];
  if (hit)
    return {
      accel: hit.works ? 'kvm' : 'tcg',
      reason: `auto: KVM ${hit.works ? 'works' : 'does not work'} (probed earlier this boot)`,
      known: true,
    };
  return { accel: 'tcg', reason: 'auto: not known until lab up probes KVM; rendered for TCG', known: false };
}

/** probeAccel('kvm'), remembered in `cacheFile` for this boot of the host; firmware-only verdicts are not kept. */
export async function probeKvmCached(
  profiles: QemuProfiles,
  o: ProbeOptions,
  cacheFile?: string,
): Promise<AccelProbe & { cached: boolean }> {
  const key = probeKey(profiles, o);
  const cache = cacheFile ? readProbeCache(cacheFile, bootId()) : undefined;
  const hit = cache?.results[key];
  if (hit) return { ...hit, cached: true };
  const result = await probeAccel('kvm', profiles, o);
  if (cacheFile && cache && (result.depth === 'kernel' || result.depth === 'disk')) {
    cache.results[key] = result;
    writeAtomic(cacheFile, `${JSON.stringify(cache, null, 2)}\n`);
  }
  return { ...result, cached: false };
}

export async function chooseAccel(
  wanted: 'auto' | Accel,
  profiles: QemuProfiles,
  o: ProbeOptions = {},
  cacheFile?: string,
): Promise<AccelChoice> {
  if (wanted === 'tcg') return { accel: 'tcg', reason: 'accel: tcg in the spec' };
  const kvm = await probeKvmCached(profiles, o, cacheFile);
  const when = kvm.cached ? 'probed earlier this boot' : `probe boot in ${kvm.ms} ms`;
  if (kvm.works) return { accel: 'kvm', reason: `KVM works: ${kvm.detail} (${when})` };
  if (wanted === 'kvm') {
    throw new LabError({
      code: 'ENV_ACCEL',
      message: `accel: kvm, but KVM does not work here: ${kvm.detail}`,
      hint: 'Use accel: auto (falls back to TCG) or accel: tcg.',
    });
  }
  return { accel: 'tcg', reason: `KVM unusable: ${kvm.detail} (${when}); falling back to TCG` };
}
