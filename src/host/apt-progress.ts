// apt-get's, dpkg's and mmdebstrap --verbose's output in one line: the phase mmdebstrap is in ("I:
// installing essential packages..."), and packages fetched, unpacked and set up in it out of the
// total apt announced ("105 newly installed"), and what runs after the last count moved: dpkg's
// triggers and the initramfs, minutes each under qemu-user-static. Pure: fed one output line at a time.

import type { Reporter } from '../progress.js';

/** An onLine for a command running apt (host/exec.ts): its progress, to the reporter's current step. */
export function aptProgressTo(reporter: Pick<Reporter, 'progress'>): (line: string) => void {
  const apt = new AptProgress();
  return (line) => {
    const now = apt.feed(line);
    if (now) reporter.progress(now);
  };
}

export class AptProgress {
  private phase = '';
  private total = 0;
  private fetched = 0;
  private unpacked = 0;
  private setUp = 0;
  /** What dpkg runs now that no count shows: a trigger, or the initramfs a kernel's hook makes. */
  private running = '';

  /** The progress line after this output line, or nothing where the line changes nothing. */
  feed(line: string): string | undefined {
    const phase = /^I: (.+?)(\.\.\.)?$/.exec(line);
    const planned = /^\d+ upgraded, (\d+) newly installed/.exec(line);
    const trigger = /^Processing triggers for (\S+) /.exec(line);
    const initramfs = /^update-initramfs: Generating (\S+)/.exec(line);
    if (phase?.[2] || planned) {
      // Counts are the phase's own; apt's total holds until it announces the next.
      if (phase?.[2]) this.phase = phase[1]!;
      if (planned) this.total = Number(planned[1]);
      this.fetched = this.unpacked = this.setUp = 0;
      this.running = '';
    } else if (trigger) this.running = `triggers of ${trigger[1]}`;
    else if (initramfs) this.running = `making ${initramfs[1]}`;
    else if (/^Get:\d+ \S+ .* \[[\d.,]+ [kMG]?B\]$/.test(line) && !/ (In)?Release |Packages/.test(line)) this.fetched++;
    else if (/^(Unpacking|Setting up) /.test(line)) {
      if (line.startsWith('Unpacking ')) this.unpacked++;
      else this.setUp++;
      this.running = '';
    } else return undefined;
    return this.line();
  }

  private line(): string {
    const of = (n: number) => (this.total ? `${Math.min(n, this.total)}/${this.total}` : String(n));
    const counts = [
      this.fetched ? `fetched ${of(this.fetched)}` : '',
      this.unpacked ? `unpacked ${of(this.unpacked)}` : '',
      this.setUp ? `set up ${of(this.setUp)}` : '',
    ].filter(Boolean);
    const what = counts.length ? `${counts.join(', ')} packages` : '';
    const status = [this.phase, what].filter(Boolean).join(': ') || 'starting';
    return this.running ? `${status}; ${this.running}` : status;
  }
}
