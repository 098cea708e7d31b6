// The spec's way into a lab: read, parse with positions, schema-check, apply defaults, resolve, and
// check by the lab's rules and the ones of its node kinds, which this floor cannot know and so must
// be handed (core/load.ts's loadLab does, and is what every command calls).
import { resolve } from 'node:path';
import { LabError, type Problem } from '../errors.js';
import { resolveLab, type Lab } from './lab.js';
import { applyDefaults, checkSchema } from './schema.js';
import { checkLab, type SemanticProblem } from './semantic.js';
import { formatPath } from './path.js';
import { sourceProblems } from './app-sources.js';
import { parseSpec, readSpecFile, type SpecSource } from './source.js';
import { labOnTarget, targetProblems, type Target } from './targets.js';

export interface LoadOptions {
  /** Skip the semantic checks (not the schema): to reproduce a pitfall on purpose. */
  force?: boolean;
  /** `lab run APP --lcores LIST`: checked like the spec's own value. */
  appLcores?: { app: string; lcores: string };
  /** Where the lab is to run: its rules are checked too (the local target has none of its own). */
  target?: Target;
}

/** What the node kinds know and this floor must not: their rules, and which can end a veth link. */
export interface NodeKinds {
  rules(lab: Lab): SemanticProblem[];
  takesVethEnd(kind: string): boolean;
}

export function resolveSpecFile(file: string, kinds: NodeKinds, options: LoadOptions = {}): Lab {
  return resolveSource(readSpecFile(file), resolve(file), kinds, options);
}

export function resolveSpecText(text: string, file: string, kinds: NodeKinds, options: LoadOptions = {}): Lab {
  return resolveSource(parseSpec(text, file), resolve(file), kinds, options);
}

function resolveSource(source: SpecSource, absolute: string, kinds: NodeKinds, options: LoadOptions): Lab {
  const schemaProblems = checkSchema(source);
  if (schemaProblems.length) throw new LabError(schemaProblems);
  const spec = applyDefaults(source.data);
  const override = options.appLcores && spec.apps[options.appLcores.app];
  if (override) override.lcores = options.appLcores!.lcores;
  const target = options.target ?? 'local';
  const lab = labOnTarget({ ...resolveLab(spec, absolute, kinds.takesVethEnd), warnings: source.warnings }, target);
  if (options.force) return lab;
  const problems: Problem[] = [
    ...checkLab(lab),
    ...sourceProblems(lab),
    ...kinds.rules(lab),
    ...targetProblems(lab, target),
  ].map(({ at, ...rest }) => ({
    ...rest,
    path: formatPath(at),
    location: source.locate(at),
  }));
  if (problems.length) throw new LabError(problems);
  return lab;
}
