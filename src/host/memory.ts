// How much memory this host can give new processes now, as the kernel estimates it.
import { readFileSync } from 'node:fs';

/** MemAvailable from /proc/meminfo: free memory plus what the kernel can reclaim without swapping. */
export function availableMemoryMiB(meminfo = readFileSync('/proc/meminfo', 'utf8')): number {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(meminfo);
  return m ? Math.floor(Number(m[1]) / 1024) : Number.POSITIVE_INFINITY;
}
