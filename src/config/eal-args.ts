// What a spec's eal_args may say: EAL loads code and writes files as root on the node when told,
// so those arguments need the spec to say it means them, and lab's own must not be said twice.
import type { AppSpec } from './spec-types.js';
import type { PathSegment } from './path.js';

/** EAL options lab passes itself (apps/command.ts and the node kinds' argv): a second one overrides or fights lab's. */
const SET_BY_LAB = new Map<string, string>([
  ['-l', 'the lcore list (set it with lcores)'],
  ['--lcores', 'the lcore list (set it with lcores)'],
  ['-c', 'the lcore list (set it with lcores)'],
  ['--coremask', 'the lcore list (set it with lcores)'],
  ['-a', "the NIC's PCI address (set by nic)"],
  ['--allow', "the NIC's PCI address (set by nic)"],
  ['-w', "the NIC's PCI address (set by nic)"],
  ['--no-pci', 'which bus a netns node uses'],
  ['--file-prefix', 'lab-<lab>-<app>, so two apps never share hugepage files or runtime sockets'],
  ['--no-huge', "a netns node's memory model"],
  ['-m', "a netns node's memory size"],
]);

/** Options that take away what lab reads an app by. */
const BLINDS_LAB = new Map<string, string>([
  [
    '--no-telemetry',
    "turns off DPDK's telemetry socket, through which lab reads every app's readiness and per-queue counters",
  ],
]);

/** Options that make EAL load a shared object or create and write files where they say. */
const LOADS_OR_WRITES = new Map<string, string>([
  ['-d', 'loads a shared object as a driver'],
  ['--huge-dir', 'maps hugepage files in a folder of its choosing'],
  ['--proc-type', 'attaches to another DPDK process as its secondary'],
  ['--trace-dir', 'writes trace files to a folder of its choosing'],
  ['--log-file', 'writes a file of its choosing'],
]);

/** vdev arguments that name a file or socket path (net_pcap's rx_pcap/tx_pcap, vhost's iface, memif's socket …). */
function vdevNamesFile(value: string): boolean {
  return value
    .split(',')
    .slice(1)
    .some((kv) => {
      const [key = '', v = ''] = kv.split('=');
      return v.includes('/') || /pcap|path|file|sock|iface/.test(key);
    });
}

interface EalArgProblem {
  at: PathSegment[];
  message: string;
  hint: string;
}

/** An argument's option and value: -d/x, -d /x, --huge-dir=/x, --huge-dir /x. */
function options(args: string[]): Array<{ index: number; option: string; value: string }> {
  const out: Array<{ index: number; option: string; value: string }> = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) continue;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      out.push(
        eq < 0
          ? { index: i, option: arg, value: args[i + 1] ?? '' }
          : { index: i, option: arg.slice(0, eq), value: arg.slice(eq + 1) },
      );
    } else {
      out.push(
        arg.length > 2
          ? { index: i, option: arg.slice(0, 2), value: arg.slice(2) }
          : { index: i, option: arg, value: args[i + 1] ?? '' },
      );
    }
  }
  return out;
}

/** Problems with one app's eal_args, at paths under the app. */
export function ealArgProblems(app: Pick<AppSpec, 'eal_args' | 'trust_eal_args'>): EalArgProblem[] {
  const out: EalArgProblem[] = [];
  const end = app.eal_args.indexOf('--');
  if (end >= 0)
    out.push({
      at: ['eal_args', end],
      message: '"--" in eal_args would end EAL\'s arguments there and hand the rest to the app',
      hint: 'Put the app\'s own arguments in args: lab passes them after its own "--".',
    });
  for (const { index, option, value } of options(app.eal_args)) {
    const at: PathSegment[] = ['eal_args', index];
    const blinds = BLINDS_LAB.get(option);
    if (blinds) {
      out.push({ at, message: `${option} ${blinds}`, hint: 'Remove it from eal_args.' });
      continue;
    }
    const own = SET_BY_LAB.get(option);
    if (own) {
      out.push({
        at,
        message: `${option} is one of the EAL options lab passes itself: ${own}`,
        hint: 'Remove it from eal_args.',
      });
      continue;
    }
    if (app.trust_eal_args) continue;
    const risk =
      LOADS_OR_WRITES.get(option) ??
      (option === '--vdev' && vdevNamesFile(value)
        ? 'creates a device that reads or writes a file or socket it names'
        : undefined);
    if (risk) {
      out.push({
        at,
        message: `${option} ${risk}, as root on the node: a spec that does this is code, and says so`,
        hint: 'If you trust this spec as you trust code, set trust_eal_args: true on the app; `lab validate` lists what it runs.',
      });
    }
  }
  return out;
}
