// Validators for the manifests lab renders for KubeVirt, held to the projects' own schemas: KubeVirt's
// OpenAPI document and Multus' CRD (test/fixtures/reference/). Both are made strict: Kubernetes drops
// a field its schema does not know without a word, so an unknown field here is an error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ROOT } from './lab.js';

type Schema = Record<string, unknown>;

const REFERENCE = join(ROOT, 'test/fixtures/reference');

/** Free-form by design: Kubernetes keeps whatever they hold. */
const OPEN = new Set([
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Patch',
]);

/** Every object schema closed to fields it does not name, the free-form ones aside. */
function strict(schema: Schema, name = ''): Schema {
  const out: Schema = { ...schema };
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties as Record<string, Schema>).map(([k, v]) => [k, strict(v)]),
    );
  }
  if (out.items && typeof out.items === 'object') out.items = strict(out.items as Schema);
  const additional = out.additionalProperties;
  if (additional && typeof additional === 'object') out.additionalProperties = strict(additional as Schema);
  if (out.type === 'object' && additional === undefined && !OPEN.has(name) && (out.properties || name))
    out.additionalProperties = false;
  return out;
}

function ajv(): Ajv {
  // OpenAPI 2.0's formats: KubeVirt's server checks them, the shape is what this checks.
  const formats = ['int32', 'int64', 'float', 'double', 'byte', 'date-time', 'int-or-string'];
  return new Ajv({ allErrors: true, strict: false, formats: Object.fromEntries(formats.map((f) => [f, true])) });
}

export interface ManifestValidator {
  (doc: unknown): string[];
}

function messages(v: ValidateFunction): string[] {
  return (v.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message}${extra(e)}`);
}

function extra(e: ErrorObject): string {
  return e.keyword === 'additionalProperties' ? `: ${String(e.params.additionalProperty)}` : '';
}

/** A validator for one definition of KubeVirt's OpenAPI document, e.g. v1.VirtualMachine. */
export function kubevirtValidator(definition: string): ManifestValidator {
  const doc = JSON.parse(readFileSync(join(REFERENCE, 'kubevirt-openapi.json'), 'utf8')) as {
    definitions: Record<string, Schema>;
  };
  const definitions = Object.fromEntries(Object.entries(doc.definitions).map(([k, v]) => [k, strict(v, k)]));
  const v = ajv().compile({ $ref: `#/definitions/${definition}`, definitions });
  return (d) => (v(d) ? [] : messages(v));
}

/** A validator for Multus' NetworkAttachmentDefinition: the CRD's schema, metadata as Kubernetes' ObjectMeta. */
export function nadValidator(): ManifestValidator {
  const crd = JSON.parse(readFileSync(join(REFERENCE, 'multus-nad-crd.json'), 'utf8')) as Schema;
  const { $comment: _source, ...schema } = crd;
  const objectMeta = kubevirtValidator('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  const v = ajv().compile(strict(schema));
  return (d) => [
    ...(v(d) ? [] : messages(v)),
    ...objectMeta((d as { metadata?: unknown }).metadata).map((m) => `/metadata${m}`),
  ];
}
