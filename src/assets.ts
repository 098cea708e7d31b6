// Files that ship with lab and are read as data: the schema, QEMU profiles, cloud-init templates, native sources.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}

export function readJsonAsset<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(packagePath(...parts), 'utf8')) as T;
}

export function readTextAsset(...parts: string[]): string {
  return readFileSync(packagePath(...parts), 'utf8');
}

export interface AssetFile {
  /** Path relative to the asset folder, with forward slashes. */
  path: string;
  content: string;
  executable: boolean;
}

/** Every file below a folder of the package, sorted, so renders are stable. */
export function readAssetTree(folder: string, keep: (path: string) => boolean = () => true): AssetFile[] {
  const base = packagePath(folder);
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
    );
  return walk(base)
    .map((abs) => ({ abs, path: relative(base, abs).split('\\').join('/') }))
    .filter(({ path }) => keep(path))
    .sort((a, b) => a.path.localeCompare(b.path))
    .map(({ abs, path }) => ({
      path,
      content: readFileSync(abs, 'utf8'),
      executable: (statSync(abs).mode & 0o111) !== 0,
    }));
}

/** lab's own version, from its package.json. */
export function labVersion(): string {
  return readJsonAsset<{ version: string }>('package.json').version;
}
