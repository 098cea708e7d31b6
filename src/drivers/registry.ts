// The node kinds lab knows, by the name a spec gives them (vms.<name>.driver), and the session
// each command's drivers share.
import type { Lab, Vm } from '../config/lab.js';
import { problem, type SemanticProblem } from '../config/semantic.js';
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
  /** Its NICs can be on links and networks, and it can be the tester (verify.from). */
  links: boolean;
}

const KINDS: Record<string, Kind> = {
  // A QEMU node's taps end in the lab namespace; joining them to another node needs bridges, not built yet.
  qemu: { driver: qemuDriver, validate: validateQemuNode, links: false },
  netns: { driver: netnsDriver, validate: () => [], links: true },
};

/** Every node's kind-specific spec problems, and links or a tester where its kind has none yet. */
export function checkNodes(lab: Lab): SemanticProblem[] {
  const unlinkable = (name: string) => {
    const vm = lab.vms.find((v) => v.name === name);
    return vm && KINDS[vm.driver]?.links === false ? vm : undefined;
  };
  const links = lab.links.flatMap((link) => link.ends.flatMap((end, k) => {
    const vm = end.kind === 'nic' ? unlinkable(end.vm) : undefined;
    return vm ? [problem(['links', link.index, 'endpoints', k], `${vm.name} is a ${vm.driver} node, whose NICs cannot be on links yet`, `Only ${linkableKinds()} nodes can be linked so far; a ${vm.driver} NIC keeps its own wire to the lab namespace.`)] : [];
  }));
  const members = lab.networks.flatMap((net) => net.members.flatMap((m, k) => {
    const vm = unlinkable(m.vm);
    return vm ? [problem(['networks', net.name, 'members', k], `${vm.name} is a ${vm.driver} node, whose NICs cannot be on networks yet`, `Only ${linkableKinds()} nodes can join a network so far.`)] : [];
  }));
  const tester = unlinkable(lab.verify.from);
  const from = tester ? [problem(['verify', 'from'], `${tester.name} is a ${tester.driver} node, which cannot be the tester yet`, `The tester is host or a ${linkableKinds()} node.`)] : [];
  return [...lab.vms.flatMap((vm) => KINDS[vm.driver]?.validate(vm) ?? []), ...links, ...members, ...from];
}

const linkableKinds = () => Object.entries(KINDS).filter(([, k]) => k.links).map(([name]) => name).join(', ');

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
