// CPU architectures a guest can have, and this host's: what a node's arch defaults to, and whether
// its guest can run under KVM here (only on its own architecture).
import type { NodeSpec } from './spec-types.js';

export type Arch = Exclude<NodeSpec['arch'], ''>;

export const ARCHES: readonly Arch[] = ['x86_64', 'aarch64'];

/** Node's process.arch in the words uname -m and QEMU use. */
export function hostArch(nodeArch: string = process.arch): Arch | undefined {
  return nodeArch === 'x64' ? 'x86_64' : nodeArch === 'arm64' ? 'aarch64' : undefined;
}

/** What a node's arch is when its spec leaves it out: this host's (x86_64 on a host lab has no build for). */
export function defaultArch(): Arch {
  return hostArch() ?? 'x86_64';
}

/** Debian's name for it (dpkg --print-architecture). */
export function debianArch(arch: Arch): string {
  return arch === 'x86_64' ? 'amd64' : 'arm64';
}
