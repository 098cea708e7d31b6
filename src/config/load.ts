// The one way into a lab: read, parse with positions, schema-check, apply defaults, resolve, check.
import { resolve } from 'node:path';
import { LabError, type Problem } from '../errors.js';
import { resolveLab, type Lab } from './lab.js';
import { applyDefaults, checkSchema } from './schema.js';
import { checkLab, type SemanticProblem } from './semantic.js';
import { formatPath, parseSpec, readSpecFile, type SpecSource } from './source.js';

export interface LoadOptions {
  /** Skip the semantic checks (not the schema): to reproduce a pitfall on purpose. */
  force?: boolean;
  /** `lab run APP --lcores LIST`: checked like the spec's own value. */
  appLcores?: { app: string; lcores: string };
  /** The rules of the lab's node kinds, which the drivers know (and this layer must not). */
  checks?: (lab: Lab) => SemanticProblem[];
}

export function loadLab(file: string, options: LoadOptions = {}): Lab {
  return resolveSource(readSpecFile(file), resolve(file), options);
}

export function loadLabText(text: string, file: string, options: LoadOptions = {}): Lab {
  return resolveSource(parseSpec(text, file), resolve(file), options);
}

function resolveSource(source: SpecSource, absolute: string, options: LoadOptions): Lab {
  const schemaProblems = checkSchema(source);
  if (schemaProblems.length) throw new LabError(schemaProblems);
  const spec = applyDefaults(source.data);
  const override = options.appLcores && spec.apps[options.appLcores.app];
  if (override) override.lcores = options.appLcores!.lcores;
  const lab = resolveLab(spec, absolute);
  if (options.force) return lab;
  const problems: Problem[] = [...checkLab(lab), ...(options.checks?.(lab) ?? [])].map(({ at, ...rest }) => ({
    ...rest,
    path: formatPath(at),
    location: source.locate(at),
  }));
  if (problems.length) throw new LabError(problems);
  return lab;
}
