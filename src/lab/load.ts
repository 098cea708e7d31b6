// Loading a lab for a command: the spec's own rules, and those of each node's kind, which also
// settle how each link is made.
import type { Lab } from '../config/lab.js';
import { loadLab as loadSpec, loadLabText as loadSpecText, type LoadOptions } from '../config/load.js';
import { checkNodes, wireLinks } from '../drivers/registry.js';

export type { LoadOptions };

export function loadLab(file: string, options: LoadOptions = {}): Lab {
  return wireLinks(loadSpec(file, { checks: checkNodes, ...options }));
}

export function loadLabText(text: string, file: string, options: LoadOptions = {}): Lab {
  return wireLinks(loadSpecText(text, file, { checks: checkNodes, ...options }));
}
