// What lab doctor asks of this kind: do the accelerators run a guest here (a real probe boot each).
import { newestBootableImage } from '../../image/cache.js';
import { imageCacheRoot } from '../../layout.js';
import { probeAccel, type AccelProbe } from './accel.js';
import { qemuProfiles } from './files.js';
import { hostArch } from '../../config/arch.js';

export async function probeAccelerators(): Promise<AccelProbe[]> {
  // What this host's own architecture runs: the only one KVM could.
  const profiles = qemuProfiles(hostArch() ?? 'x86_64');
  const boot = newestBootableImage(imageCacheRoot());
  const probe = (accel: 'kvm' | 'tcg') => probeAccel(accel, profiles, boot);
  // One after the other: two emulated boots at once would share this host's cores and slow both.
  return [await probe('kvm'), await probe('tcg')];
}
