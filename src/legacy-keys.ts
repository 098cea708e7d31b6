// lab's JSON before the vocabulary of nodes (0.1) said vm, vms, driver (a node's kind), host_ip
// and hostIf. Every JSON lab prints still carries those keys beside the new ones, so a consumer
// written then keeps working; docs/reference/json.md lists them as deprecated.

const ALIASES: ReadonlyArray<[string, string]> = [
  ['nodes', 'vms'],
  ['labns_ip', 'host_ip'],
  ['labnsIf', 'hostIf'],
  ['os_driver_for_dpdk', 'driver'],
];

/**
 * The value with the old key added beside each new one. A node's `kind` (in a row with a `node`
 * name, or an entry of `nodes`) is also its old `driver`.
 */
export function withLegacyKeys(value: unknown, inNodes = false): unknown {
  if (Array.isArray(value)) return value.map((v) => withLegacyKeys(v, inNodes));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value);
  const isNodeRow = inNodes || entries.some(([k, v]) => k === 'node' && typeof v === 'string');
  for (const [key, v] of entries) {
    out[key] = withLegacyKeys(v, key === 'nodes');
    const old = ALIASES.find(([now]) => now === key)?.[1];
    if (old && !(old in value)) out[old] = out[key];
    if (key === 'node' && typeof v === 'string' && !('vm' in value)) out.vm = v;
    if (key === 'kind' && isNodeRow && !('driver' in value)) out.driver = v;
  }
  return out;
}
