// Every field the schema constrains with a pattern has its meaning in words: a user is told what
// to write, never shown a regular expression.
import { describe, expect, it } from 'vitest';
import { labSchema, PATTERN_MEANINGS } from '../../src/config/schema.js';

/** The property names whose value (or list items) carry a pattern, found by walking the schema. */
function patterned(node: unknown, name = '', out = new Set<string>()): Set<string> {
  if (!node || typeof node !== 'object') return out;
  const n = node as Record<string, unknown>;
  if (typeof n.pattern === 'string' && name) out.add(name);
  for (const [key, value] of Object.entries(n)) {
    if (key === 'properties') for (const [prop, sub] of Object.entries(value as object)) patterned(sub, prop, out);
    else if (key === 'items' || key === 'then' || key === 'else') patterned(value, name, out);
    else if (key === '$defs') for (const sub of Object.values(value as object)) patterned(sub, '', out);
    else if (key !== 'propertyNames' && typeof value === 'object') patterned(value, '', out);
  }
  return out;
}

describe('schema messages', () => {
  it('has words for every patterned field', () => {
    const fields = [...patterned(labSchema)];
    expect(fields.length).toBeGreaterThan(10);
    expect(fields.filter((f) => !(f in PATTERN_MEANINGS))).toEqual([]);
  });
});
