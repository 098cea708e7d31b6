// Schema validation: every ajv error, turned into a problem that names the field and where it is written.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { readJsonAsset } from '../assets.js';
import { closest, type Problem } from '../errors.js';
import { formatPath, type PathSegment } from './path.js';
import type { SpecSource } from './source.js';
import type { LabSpec } from './spec-types.js';
import type { JsonSchema } from './schema-to-ts.js';

export const labSchema = readJsonAsset<JsonSchema>('schemas', 'lab.schema.json');

let compiled: { check: ValidateFunction; fill: ValidateFunction } | undefined;

function validators(): { check: ValidateFunction; fill: ValidateFunction } {
  // Two compilations: `check` reports on the file as written; `fill` applies defaults once it is valid.
  compiled ??= {
    check: new Ajv2020({
      allErrors: true,
      verbose: true,
      allowUnionTypes: true,
      strict: true,
      strictRequired: false,
    }).compile(labSchema),
    fill: new Ajv2020({ useDefaults: true, allowUnionTypes: true, strict: true, strictRequired: false }).compile(
      labSchema,
    ),
  };
  return compiled;
}

export function checkSchema(source: SpecSource): Problem[] {
  const { check } = validators();
  if (check(source.data)) return [];
  const seen = new Set<string>();
  return (
    (check.errors ?? [])
      // `if` only says a branch failed, and propertyNames repeats its pattern and length errors: the real errors are reported beside them.
      .filter(
        (e) =>
          e.keyword !== 'if' &&
          !(['pattern', 'maxLength'].includes(e.keyword) && e.schemaPath.includes('/propertyNames/')),
      )
      .map((e) => toProblem(e, source))
      .filter((p) => {
        const key = `${p.path}\u0000${p.message}`;
        return seen.has(key) ? false : (seen.add(key), true);
      })
  );
}

/** The spec with every default filled in; only call on data that passed checkSchema. */
export function applyDefaults(data: unknown): LabSpec {
  const copy = structuredClone(data);
  if (!validators().fill(copy)) throw new Error('applyDefaults: spec did not validate');
  return copy as LabSpec;
}

let definitions: Ajv2020 | undefined;

/**
 * A value checked against one definition of the schema (`$defs/<name>`), for values that come from
 * flags rather than a file (lab impair's): the same rules, with defaults filled in. It is checked
 * as a property, as in a spec, since ajv fills no default at a schema's root.
 */
export function checkDefinition<T>(name: string, value: unknown): { value: T } | { errors: string[] } {
  definitions ??= new Ajv2020({
    allErrors: true,
    useDefaults: true,
    allowUnionTypes: true,
    strict: true,
    strictRequired: false,
  }).addSchema(labSchema);
  const validate = definitions.compile({
    type: 'object',
    properties: { [name]: { $ref: `${String(labSchema.$id)}#/$defs/${name}` } },
  });
  const holder = { [name]: structuredClone(value) };
  if (validate(holder)) return { value: holder[name] as T };
  return {
    errors: (validate.errors ?? []).map(
      (e) => `${e.instancePath.slice(1).split('/').slice(1).join('.') || name}: ${e.message ?? e.keyword}`,
    ),
  };
}

function toProblem(e: ErrorObject, source: SpecSource): Problem {
  const path: PathSegment[] = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const where = (segments: PathSegment[], key?: string) => ({
    path: formatPath(key === undefined ? segments : [...segments, key]),
    location: source.locate(segments, key),
  });
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((e.parentSchema as JsonSchema).properties ?? {});
      return {
        code: 'SPEC_SCHEMA',
        message: `unknown field "${key}"`,
        ...where(path, key),
        hint: suggest(key, allowed),
      };
    }
    case 'required': {
      const missing = String(p.missingProperty);
      return {
        code: 'SPEC_SCHEMA',
        message: `missing required field "${missing}"`,
        path: formatPath([...path, missing]),
        location: source.locate(path),
      };
    }
    case 'propertyNames': {
      const key = String(p.propertyName);
      return {
        code: 'SPEC_SCHEMA',
        message: `invalid name "${key}": ${NAME_RULES[String(path.at(-1))] ?? 'see the schema'}, at most ${maxLength(e)} characters`,
        ...where(path, key),
      };
    }
    case 'maxLength':
      return {
        code: 'SPEC_SCHEMA',
        message: `${JSON.stringify(e.data)} is ${String(e.data).length} characters long; at most ${String(p.limit)} fit`,
        ...where(path),
      };
    case 'enum':
      return {
        code: 'SPEC_SCHEMA',
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(e.data)}`,
        ...where(path),
      };
    case 'type':
      return {
        code: 'SPEC_SCHEMA',
        message: `must be ${String(p.type).replace(',', ' or ')}, not ${describe(e.data)}`,
        ...where(path),
      };
    case 'pattern':
      return { code: 'SPEC_SCHEMA', message: `${JSON.stringify(e.data)} ${patternMeaning(path)}`, ...where(path) };
    default:
      return {
        code: 'SPEC_SCHEMA',
        message: `${e.message ?? 'is invalid'}${e.data === undefined || typeof e.data === 'object' ? '' : ` (got ${JSON.stringify(e.data)})`}`,
        ...where(path),
      };
  }
}

/** What each patterned field takes, in words: a raw regular expression helps nobody. */
export const PATTERN_MEANINGS: Record<string, string> = {
  mac: 'is not a MAC address like 52:54:00:12:34:56',
  ip: 'is not an IPv4 address with a prefix, like 10.10.0.2/24',
  labns_ip: 'is not an IPv4 address like 10.10.0.1',
  lcores: 'is not an lcore list like 1, 1-2 or 0,2',
  sha256: 'is not a SHA-256 (64 lowercase hex digits)',
  memory: 'is not a size like 2048, 2048M, 2G or 4GiB',
  url: 'is not an http(s) URL without spaces, quotes, $ or backslashes',
  mirror: 'is not an http(s) URL without spaces, quotes, $ or backslashes',
  name: 'is not a valid name: lowercase letters, digits and "-", starting with a letter and ending with a letter or digit',
  version: 'is not a DPDK version like 24.03 or 22.11.4',
  suite: 'is not a Debian suite like bookworm (lowercase letters only)',
  packages: 'is not a Debian package name like tcpdump (lowercase letters, digits, +, - and .)',
  drivers: 'is not a DPDK driver like net/virtio or bus/pci (class/name; * matches any name)',
  apps: 'is not a DPDK application like test-pmd (lowercase letters, digits and dashes)',
  meson_options: 'is not a meson option like disable_libs=bbdev,pipeline (name=value, no spaces or quotes)',
  endpoints: 'is not a link end like dut.dp0 (a node name, a dot and a NIC name) or labns',
  members: 'is not a network member like dut.dp0 (a node name, a dot and a NIC name)',
  nics: 'is not a NIC like dut.dp0 (a node name, a dot and a NIC name)',
  resource: 'is not an SR-IOV device plugin resource like intel.com/intel_sriov_vfio',
  from: 'is neither labns nor a node name',
  binary: 'is not a path inside the source folder, like build/fwd (relative, no "..")',
  namespace: 'is not a Kubernetes namespace like lab-echo (lowercase letters, digits and "-", at most 63)',
  guest_image: 'is not an image reference like registry.example/lab-guest:1 (no spaces, quotes, $ or backslashes)',
  disk_size: 'is not a size like 10Gi (a whole number of Mi, Gi or Ti)',
  tester_image:
    'is not an image reference like registry.example/lab-tester:0.4.0 (no spaces, quotes, $ or backslashes)',
  command:
    'is not a program like dpdk-testpmd or /usr/local/bin/my-fwd (one word, not an option: arguments go in args)',
};

function patternMeaning(path: PathSegment[]): string {
  const field = [...path].reverse().find((s) => typeof s === 'string');
  return (
    PATTERN_MEANINGS[field ?? ''] ??
    'is not written the way this field takes (see its description in schemas/lab.schema.json)'
  );
}

/** What the names of each named section take, in words. */
const NAME_RULES: Record<string, string> = {
  nodes: 'use lowercase letters, digits and "-", starting with a letter and not ending with "-"',
  networks: 'use lowercase letters and digits, starting with a letter',
  apps: 'use lowercase letters, digits, "_" and "-", starting with a letter',
};

function maxLength(e: ErrorObject): number {
  return (e.schema as { maxLength: number }).maxLength;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function suggest(key: string, allowed: string[]): string {
  const near = closest(key, allowed);
  const known = `Known fields here: ${allowed.join(', ')}.`;
  return near ? `Did you mean "${near}"? ${known}` : known;
}
