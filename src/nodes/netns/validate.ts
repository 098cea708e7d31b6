// What a spec must hold for a netns node, beyond the rules every node obeys.
import type { Node } from '../../config/lab.js';
import { problem, type SemanticProblem } from '../../config/semantic.js';

/** A node's namespace has its own loopback: a NIC of that name cannot be made in it. */
const LOOPBACK = 'lo';

export function validateNetnsNode(node: Node): SemanticProblem[] {
  return node.nics
    .filter((n) => n.name === LOOPBACK)
    .map((n) =>
      problem(
        ['nodes', node.name, 'nics', n.index, 'name'],
        `"${LOOPBACK}" is the loopback interface every namespace already has`,
        'Give the NIC another name, such as dp0.',
      ),
    );
}
