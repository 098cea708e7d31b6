// src/config/spec-types.ts is generated from the schema; it must never drift from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labSchema } from '../../src/config/schema.js';
import { schemaToTs } from '../../src/config/schema-to-ts.js';
import { ROOT } from '../helpers/lab.js';

describe('schema-generated types', () => {
  it('are up to date (run `npm run build && npm run gen:types` after changing the schema)', () => {
    expect(readFileSync(join(ROOT, 'src/config/spec-types.ts'), 'utf8')).toBe(schemaToTs(labSchema));
  });

  it('every field of the schema has a description and a default', () => {
    const missing: string[] = [];
    const walk = (schema: Record<string, any>, at: string, required: string[]) => {
      for (const [key, prop] of Object.entries<Record<string, any>>(schema.properties ?? {})) {
        if (key === '$schema') continue;
        const resolved = prop.$ref ? labSchema.$defs![prop.$ref.replace('#/$defs/', '')]! : prop;
        if (!prop.description && !resolved.description) missing.push(`${at}.${key}: description`);
        if (prop.default === undefined && resolved.default === undefined && !required.includes(key))
          missing.push(`${at}.${key}: default`);
        walk(resolved, `${at}.${key}`, resolved.required ?? []);
      }
    };
    walk(labSchema as Record<string, any>, '', labSchema.required ?? []);
    for (const [name, def] of Object.entries(labSchema.$defs ?? {}))
      walk(def as Record<string, any>, `$defs.${name}`, def.required ?? []);
    expect(missing).toEqual([]);
  });
});
