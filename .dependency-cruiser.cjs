// The architecture's picture: which floor of src/ may import which. test/unit/layers.test.ts runs
// this in the suite; `npx depcruise src` shows the same by hand. A floor may only import the floors
// listed for it, so an import that runs up the layers (or sideways into another) is a violation.

/** Each floor of src/, by the paths that belong to it. */
const floors = {
  cli: '^src/(cli\\.ts$|commands/)',
  benchmarks: '^src/benchmarks/',
  core: '^src/core/',
  verify: '^src/verify/',
  nodes: '^src/nodes/',
  wires: '^src/wires/',
  image: '^src/image/',
  state: '^src/state/',
  apps: '^src/apps/',
  guest: '^src/guest/',
  render: '^src/render/',
  host: '^src/host/',
  config: '^src/config/',
  base: '^src/(errors|assets|layout|progress|legacy-keys)\\.ts$',
};

/** Who may import whom. Every floor may import its own. */
const mayImport = {
  // The CLI: flags and printing over the core.
  cli: ['core', 'verify', 'nodes', 'wires', 'image', 'state', 'apps', 'render', 'host', 'config', 'base'],
  // Benchmarks are programs of their own, beside the CLI (they reuse its terminal reporter).
  benchmarks: ['cli', 'core', 'verify', 'nodes', 'wires', 'image', 'state', 'apps', 'render', 'host', 'config', 'base'],
  // The verbs' work.
  core: ['verify', 'nodes', 'wires', 'image', 'state', 'apps', 'guest', 'render', 'host', 'config', 'base'],
  // The checks get what they need handed in: no labs, no state, no node kinds. Their reports may
  // draw the topology's pure model.
  verify: ['apps', 'host', 'render', 'config', 'base'],
  // One folder per node kind behind one interface. A node's NIC is one end of a wire: its kind asks
  // the wire kinds what its far end is joined to.
  nodes: ['wires', 'image', 'state', 'apps', 'guest', 'render', 'host', 'config', 'base'],
  // One folder per wire kind behind one interface; what they need of the node kinds is handed in.
  wires: ['state', 'apps', 'render', 'host', 'config', 'base'],
  image: ['host', 'config', 'base'],
  state: ['apps', 'host', 'config', 'base'],
  apps: ['host', 'config', 'base'],
  guest: ['host', 'base'],
  // Pure: the spec in, argv and documents out.
  render: ['config', 'base'],
  host: ['base'],
  config: ['base'],
  base: [],
};

const layerRules = Object.entries(mayImport).map(([floor, allowed]) => ({
  name: `${floor}-imports-only-${allowed.length ? allowed.join('-') : 'base'}`,
  comment: `src/ floor "${floor}" may import only: ${[floor, ...allowed].join(', ')}`,
  severity: 'error',
  from: { path: floors[floor] },
  to: { path: '^src/', pathNot: [floor, ...allowed].map((f) => floors[f]) },
}));

/**
 * A family of kinds (node kinds, wire kinds) under src/<folder>/: one folder per kind behind the
 * interface in `iface`. No kind reaches into another's folder, and only the family's registry
 * imports a kind's folder, so adding a kind is a folder and a line there.
 */
function familyRules(family, folder, iface) {
  return [
    {
      name: `one-${family}-kind-per-folder`,
      comment: `A ${family} kind's folder never reaches into another kind's: what they share lives in ${iface} or below.`,
      severity: 'error',
      from: { path: `^src/${folder}/([^/]+)/` },
      to: { path: `^src/${folder}/([^/]+)/`, pathNot: `^src/${folder}/$1/` },
    },
    {
      name: `${family}-kinds-only-through-the-registry`,
      comment: `Only src/${folder}/registry.ts imports a ${family} kind's folder; every verb reaches a kind through ${iface}.`,
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/${folder}/(registry\\.ts$|[^/]+/)` },
      to: { path: `^src/${folder}/[^/]+/` },
    },
  ];
}

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'Modules import each other in one direction only.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...familyRules('node', 'nodes', 'nodes/node.ts'),
    ...familyRules('wire', 'wires', 'wires/wire.ts'),
    {
      name: 'processes-start-in-host-exec',
      comment: 'Every process lab starts goes through src/host/exec.ts (zx, or spawn for the long-lived ones).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/host/exec\\.ts$' },
      to: { path: '^(node:)?child_process$|(^|/)node_modules/zx/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a missing package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      exportsFields: ['exports'],
    },
  },
};
