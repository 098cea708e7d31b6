// Turns lab.schema.json into TypeScript types, so the schema stays the one source of truth.
// It covers the subset of JSON Schema the lab schema uses; anything else is a loud error,
// so a schema change the generator does not understand cannot silently produce `unknown`.

export interface JsonSchema {
  title?: string;
  description?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  if?: JsonSchema;
  then?: JsonSchema;
  else?: JsonSchema;
  default?: unknown;
  [keyword: string]: unknown;
}

const PRIMITIVES: Record<string, string> = {
  string: 'string',
  integer: 'number',
  number: 'number',
  boolean: 'boolean',
  null: 'null',
};

export function schemaToTs(root: JsonSchema): string {
  const named = new Map<string, string>();
  const defs = root.$defs ?? {};

  const refName = (ref: string): string => {
    const key = ref.replace('#/$defs/', '');
    const def = defs[key];
    if (!def) throw new Error(`schema-to-ts: unresolved $ref ${ref}`);
    return nameOf(def, key);
  };

  const nameOf = (schema: JsonSchema, fallback: string): string => {
    const name = schema.title ?? fallback.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
    if (!named.has(name)) {
      named.set(name, ''); // reserve before recursing: schemas may nest
      named.set(name, declare(name, schema));
    }
    return name;
  };

  const declare = (name: string, schema: JsonSchema): string => {
    const doc = comment(schema.description, '');
    const body = typeOf(schema, name, true);
    return body.startsWith('{') && body.endsWith('}')
      ? `${doc}export interface ${name} ${body}\n`
      : `${doc}export type ${name} = ${body};\n`;
  };

  const typeOf = (schema: JsonSchema, hint: string, top = false): string => {
    if (schema.$ref) return refName(schema.$ref);
    if (schema.title && !top) return nameOf(schema, hint);
    if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
    if (schema.then?.$ref && schema.else?.$ref) return `${refName(schema.then.$ref)} | ${refName(schema.else.$ref)}`;
    const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
    // An object or null: a section whose absence (null) means it is off.
    if (types.length > 1)
      return types.map((t) => (t === 'object' ? objectType(schema, hint) : primitive(t))).join(' | ');
    switch (types[0]) {
      case 'object':
        return objectType(schema, hint);
      case 'array':
        if (!schema.items) throw new Error(`schema-to-ts: array without items at ${hint}`);
        return `Array<${typeOf(schema.items, `${hint}Item`)}>`;
      case undefined:
        throw new Error(`schema-to-ts: no type at ${hint}`);
      default:
        return primitive(types[0]);
    }
  };

  const objectType = (schema: JsonSchema, hint: string): string => {
    if (schema.properties) {
      const required = new Set(schema.required ?? []);
      const lines = Object.entries(schema.properties).map(([key, prop]) => {
        // Defaults are applied before any code sees a spec, so a defaulted field is always present.
        const optional = required.has(key) || defaultOf(prop) !== undefined ? '' : '?';
        const safeKey = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
        return `${comment(prop.description, '  ')}  ${safeKey}${optional}: ${typeOf(prop, hint + pascal(key))};`;
      });
      return `{\n${lines.join('\n')}\n}`;
    }
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      return `Record<string, ${typeOf(schema.additionalProperties, `${hint}Value`)}>`;
    }
    throw new Error(`schema-to-ts: object without properties at ${hint}`);
  };

  // A default of null counts: the field is then always present, null or not.
  const defaultOf = (schema: JsonSchema): unknown =>
    'default' in schema ? schema.default : schema.$ref ? defs[schema.$ref.replace('#/$defs/', '')]?.default : undefined;

  const primitive = (t: string): string => {
    const ts = PRIMITIVES[t];
    if (!ts) throw new Error(`schema-to-ts: unsupported type ${t}`);
    return ts;
  };

  nameOf(root, 'LabSpec');
  const header = '// Generated from schemas/lab.schema.json by `npm run gen:types`; do not edit by hand.\n';
  return header + [...named.values()].join('\n');
}

function pascal(key: string): string {
  return key.replace(/(^|_|-)([a-z])/g, (_, __, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');
}

function comment(text: string | undefined, indent: string): string {
  return text ? `${indent}/** ${text.replace(/\*\//g, '*\\/')} */\n` : '';
}
