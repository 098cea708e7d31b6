// The node kinds lab knows, by the name a spec gives them (vms.<name>.driver), and the session
// each command's drivers share.
import type { Lab, Vm } from '../config/lab.js';
import type { SemanticProblem } from '../config/semantic.js';
import { LabError } from '../errors.js';
import { imagePlan } from '../image/recipe.js';
import { imageCacheRoot, labPaths } from '../layout.js';
import type { Reporter } from '../progress.js';
import { netnsDriver } from './netns/driver.js';
import type { LabSession, NodeDriver } from './node.js';
import { qemuDriver } from './qemu/driver.js';
import { validateQemuNode } from './qemu/validate.js';

interface Kind {
  driver: (session: LabSession) => NodeDriver;
  /** The spec rules of this kind's nodes, checked with the lab's own (Lima's Validate). */
  validate: (vm: Vm) => SemanticProblem[];
}

const KINDS: Record<string, Kind> = {
  qemu: { driver: qemuDriver, validate: validateQemuNode },
  netns: { driver: netnsDriver, validate: () => [] },
};

/** Every node's kind-specific spec problems. */
export function checkNodes(lab: Lab): SemanticProblem[] {
  return lab.vms.flatMap((vm) => KINDS[vm.driver]?.validate(vm) ?? []);
}

export interface Drivers {
  session: LabSession;
  /** The driver of a node kind; one instance per command, so work its nodes share is done once. */
  of(kind: string): NodeDriver;
}

export function openDrivers(lab: Lab, reporter: Reporter): Drivers {
  const session: LabSession = { lab, paths: labPaths(lab), reporter, image: imagePlan(lab, imageCacheRoot()) };
  const made = new Map<string, NodeDriver>();
  return {
    session,
    of(kind) {
      const make = KINDS[kind]?.driver;
      if (!make) throw new LabError({ code: 'STATE', message: `lab knows no node kind "${kind}"`, hint: `Known kinds: ${Object.keys(KINDS).join(', ')}.` });
      let driver = made.get(kind);
      if (!driver) made.set(kind, (driver = make(session)));
      return driver;
    },
  };
}
