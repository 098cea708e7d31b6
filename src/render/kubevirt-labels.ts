// Which of a cluster's objects are a lab's, and where its pods go: shared by the VMs and the tester.
import type { Lab } from '../config/lab.js';

export function labLabels(lab: Pick<Lab, 'name'>): Record<string, string> {
  return { 'app.kubernetes.io/name': 'lab', 'app.kubernetes.io/instance': lab.name };
}

/** Every pod of the lab on one cluster node, where its wires' bridges are: each goes where the first went. */
export function besideTheLab(lab: Pick<Lab, 'name'>) {
  return {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: labLabels(lab) }, topologyKey: 'kubernetes.io/hostname' },
      ],
    },
  };
}
