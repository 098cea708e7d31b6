// lab init: a starter spec in a new file, read by the same loader lab validate uses before it is
// written. Never overwrites: the file is created exclusively, so a spec made meanwhile is not lost either.
import { writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { PACKAGE_ROOT, packagePath } from '../assets.js';
import { LabError } from '../errors.js';
import { starterSpec, type StarterKind } from '../render/starter-spec.js';
import { loadLabText } from './load.js';

export const STARTER_KINDS: readonly StarterKind[] = ['netns', 'qemu'];

export interface InitResult {
  file: string;
  name: string;
  kind: StarterKind;
  tester: boolean;
}

export function labInit(file: string, o: { kind?: string; tester?: boolean; name?: string }): InitResult {
  const kind = (o.kind ?? 'netns') as StarterKind;
  if (!STARTER_KINDS.includes(kind))
    throw new LabError({
      code: 'USAGE',
      message: `--kind ${o.kind}: lab init knows ${STARTER_KINDS.join(' and ')}`,
      hint: 'netns: a namespace on this host, seconds and no VM; qemu: one VM with a multiqueue virtio NIC.',
    });
  const path = resolve(file);
  const name = o.name ?? nameFor(path);
  const text = starterSpec({ kind, tester: Boolean(o.tester), name, schema: schemaRef(path) });
  checkName(text, path, name);
  try {
    writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LabError(
      code === 'EEXIST'
        ? {
            code: 'USAGE',
            message: `${file} exists: lab init never overwrites a spec`,
            hint: 'Name another file (lab init other.yaml), or remove this one first.',
          }
        : { code: 'ENV_HOST', message: `cannot write ${file}: ${(err as Error).message}` },
    );
  }
  return { file: path, name, kind, tester: Boolean(o.tester) };
}

/** The starter as the loader reads it: only the name is the user's, and its rules are the schema's. */
function checkName(text: string, path: string, name: string): void {
  try {
    loadLabText(text, path);
  } catch (err) {
    if (!(err instanceof LabError) || !err.problems.every((p) => p.path === 'name')) throw err;
    throw new LabError(err.problems.map((p) => ({ code: 'USAGE', message: `--name ${name}: ${p.message}` })));
  }
}

/** The folder's name where it is a lab name, else "lab". */
function nameFor(path: string): string {
  const folder = basename(dirname(path))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '');
  return folder || 'lab';
}

/** The package's schema, relative to the spec inside the package (its examples), else absolute. */
function schemaRef(path: string): string {
  const schema = packagePath('schemas', 'lab.schema.json');
  if (!path.startsWith(PACKAGE_ROOT)) return schema;
  const rel = relative(dirname(path), schema).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}
