// lab impair: show the impaired wires of a lab, or change one on a running lab (containerlab's
// `tools netem show|set`). A change lasts until lab down; the spec keeps what a new lab starts with.
import type { Impairment, Lab } from '../config/lab.js';
import { checkDefinition } from '../config/schema.js';
import { impairmentProblems } from '../config/semantic.js';
import { LabError } from '../errors.js';
import { withLock } from '../host/lock.js';
import { openContext } from '../nodes/registry.js';
import { quiet } from '../progress.js';
import { changeRelay, relayNamed, wireImpairment, type WireImpairment } from '../wires/registry.js';

/** Flags' values as given (strings or numbers): the schema's rules check them. */
export type ImpairChange = Partial<Record<keyof Impairment, number | string>> & {
  /** Start from no impairment instead of the wire's current one. */
  clear?: boolean;
};

export interface ImpairResult {
  lab: string;
  /** The wire changed, with its impairment before. */
  changed?: { wire: string; before: Impairment };
  wires: WireImpairment[];
}

const FIELDS: Array<keyof Impairment> = ['delay_us', 'jitter_us', 'loss', 'rate_mbit'];

/** The wire's impairment after the change, checked by the schema's own rules for `impair`. */
function changed(current: Impairment, change: ImpairChange): Impairment {
  const given = Object.fromEntries(FIELDS.filter((f) => change[f] !== undefined).map((f) => [f, Number(change[f])]));
  const merged = { ...(change.clear ? {} : current), ...given };
  const checked = checkDefinition<Impairment>('impair', merged);
  const errors = 'errors' in checked ? checked.errors : impairmentProblems(['impair'], merged).map((p) => p.message);
  if (errors.length)
    throw new LabError({
      code: 'USAGE',
      message: `bad impairment: ${errors.join('; ')}`,
      hint: 'delay_us and jitter_us are whole microseconds (jitter at most the delay), loss a percentage 0-100, rate_mbit Mbit/s (0: no limit).',
    });
  return (checked as { value: Impairment }).value;
}

export async function labImpair(lab: Lab, wire?: string, change?: ImpairChange): Promise<ImpairResult> {
  const ctx = openContext(lab, quiet);
  const { paths } = ctx.session;
  const list = (state = ctx.state()) => lab.relays.map((r) => wireImpairment(paths, state, r));
  if (wire === undefined) return { lab: lab.name, wires: list() };
  const relay = relayNamed(lab, wire);
  if (!change || (!change.clear && FIELDS.every((f) => change[f] === undefined)))
    return { lab: lab.name, wires: list().filter((w) => w.wire === relay.name) };
  // The values first, against the spec's impairment: a bad flag is a usage error whether or not the lab is up.
  changed(relay.impair, change);
  return withLock(paths.lock, 'impair', async () => {
    const state = ctx.state();
    if (!state)
      throw new LabError({
        code: 'STATE',
        message: `lab ${lab.name} is not up`,
        hint: "Run `lab up` first; the spec's `impair` applies from the start.",
      });
    const before = wireImpairment(paths, state, relay).impair;
    await changeRelay(lab, paths, state, relay, changed(before, change));
    ctx.saveState(state);
    return {
      lab: lab.name,
      changed: { wire: relay.name, before },
      wires: list(state).filter((w) => w.wire === relay.name),
    };
  });
}
