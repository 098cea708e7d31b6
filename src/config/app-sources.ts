// The one rule of a spec that looks at this host's files: an app's build source is a folder that
// is there. Kept apart from semantic.ts, whose rules read the spec alone.
import { statSync } from 'node:fs';
import type { Lab } from './lab.js';
import { problem, type SemanticProblem } from './semantic.js';

export function sourceProblems(lab: Lab): SemanticProblem[] {
  return lab.apps.flatMap((app) => {
    if (!app.build) return [];
    const st = statSync(app.build.dir, { throwIfNoEntry: false });
    if (st?.isDirectory()) return [];
    return [
      problem(
        ['apps', app.name, 'build', 'source'],
        `${app.build.dir} ${st ? 'is not a folder' : 'does not exist'}`,
        "build.source is the folder of the app's sources, relative to the spec's folder.",
      ),
    ];
  });
}
