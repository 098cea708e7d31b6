// A downloaded image is data from the internet that QEMU opens as root: its sha256 says it is the
// file the spec named, not that it is harmless. A qcow2 header can name a backing file or an
// external data file, any host path, which QEMU would open and the guest could read out.
import { LabError } from '../errors.js';
import { runQuiet } from '../host/exec.js';

interface ImageInfo {
  format?: string;
  'backing-filename'?: string;
  'format-specific'?: { data?: { 'data-file'?: string } };
}

/** What is wrong with an image's header for lab to boot it, or undefined when it stands alone. */
export function qcow2Problem(info: ImageInfo): string | undefined {
  if (info.format !== 'qcow2') return `is ${info.format ?? 'of no format qemu-img knows'}, not qcow2`;
  if (info['backing-filename'] !== undefined)
    return `names a backing file (${info['backing-filename']}), which QEMU would open on this host`;
  const data = info['format-specific']?.data?.['data-file'];
  if (data !== undefined) return `names an external data file (${data}), which QEMU would open on this host`;
  return undefined;
}

/** Refuses an image whose header is not a standalone qcow2; reads the header only (qemu-img info, format given, no backing chain). */
export async function checkStandaloneQcow2(file: string, source: string): Promise<void> {
  const r = await runQuiet(['qemu-img', 'info', '--output=json', '-f', 'qcow2', '-U', file], { timeoutMs: 30_000 });
  let info: ImageInfo;
  try {
    info = JSON.parse(r.stdout) as ImageInfo;
  } catch {
    info = {};
  }
  const why =
    r.exitCode === 0
      ? qcow2Problem(info)
      : `is not a qcow2 image qemu-img can read (${r.stderr.trim().split('\n').at(-1) ?? ''})`;
  if (why) {
    throw new LabError({
      code: 'ENV_HOST',
      message: `${source} ${why}; nothing was cached`,
      hint: "lab boots standalone qcow2 cloud images only: use the publisher's image as it is, or flatten it with qemu-img convert -O qcow2.",
    });
  }
}
