// Loading a lab for a command: the spec's own rules and those of each node's kind, which also
// settle how each link is made. Every command loads its lab here; what the spec says in old words
// is said once, on stderr, where --json output does not see it.
import type { Lab } from '../config/lab.js';
import { resolveSpecFile, resolveSpecText, type LoadOptions } from '../config/load.js';
import { formatProblem } from '../errors.js';
import { nodeKinds } from '../nodes/registry.js';

export type { LoadOptions };

function warn(lab: Lab): Lab {
  for (const w of lab.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  return lab;
}

export function loadLab(file: string, options: LoadOptions = {}): Lab {
  return warn(resolveSpecFile(file, nodeKinds, options));
}

export function loadLabText(text: string, file: string, options: LoadOptions = {}): Lab {
  return resolveSpecText(text, file, nodeKinds, options);
}
