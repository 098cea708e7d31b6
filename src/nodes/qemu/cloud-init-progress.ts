// What cloud-init is doing in a guest, in one line: its stage (from `cloud-init status --long`) and
// the last line of its output log, and for a build that counts its steps (ninja's "[n/N]", as the
// DPDK release build prints) how far it is and when it should end at the rate so far.

export interface BuildCount {
  done: number;
  total: number;
}

export function ninjaCount(line: string): BuildCount | undefined {
  const m = /^\[(\d+)\/(\d+)\]/.exec(line.trim());
  return m ? { done: Number(m[1]), total: Number(m[2]) } : undefined;
}

export function cloudInitStage(statusLong: string): string | undefined {
  return /Running in stage: ([\w-]+)/.exec(statusLong)?.[1];
}

/** Turns polls into progress lines; keeps the first count seen to time the rate from. */
export class CloudInitProgress {
  private first?: { count: BuildCount; at: number };

  line(statusLong: string, lastLine: string, now = Date.now()): string {
    const stage = cloudInitStage(statusLong);
    const count = ninjaCount(lastLine);
    let eta = '';
    if (count) {
      if (!this.first || count.total !== this.first.count.total || count.done < this.first.count.done)
        this.first = { count, at: now };
      const doneSince = count.done - this.first.count.done;
      if (doneSince > 0) {
        const msPerStep = (now - this.first.at) / doneSince;
        eta = `, about ${duration(msPerStep * (count.total - count.done))} left`;
      }
    }
    const what = count
      ? `build step ${count.done}/${count.total} (${Math.floor((100 * count.done) / count.total)}%${eta})`
      : lastLine.slice(0, 120);
    return `${stage ? `${stage}: ` : ''}${what}`;
  }
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  return min < 90 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}
