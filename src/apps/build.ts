// An app built from the user's sources where it runs: the sources are read here, keyed by their
// content, copied to the node into a folder of that key, and built there against the node's DPDK.
// A key built before is used as it is: editing the sources costs a build, never a node's boot.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { App } from '../config/lab.js';
import { LabError } from '../errors.js';
import type { AppTarget, SourceFile } from './target.js';

/** More than an app's sources: a folder this large is a mistake (a build folder, a data set). */
const MAX_SOURCE_BYTES = 64 * 2 ** 20;
const BUILD_TIMEOUT_MS = 1_800_000;

type Build = NonNullable<App['build']>;

/** Every regular file below the folder but .git's, in code-point order (the key must not depend on a locale); links and other kinds are left out. */
export function readSources(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  let bytes = 0;
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git') walk(path);
      } else if (entry.isFile()) {
        const content = readFileSync(path);
        bytes += content.length;
        if (bytes > MAX_SOURCE_BYTES)
          throw new LabError({
            code: 'USAGE',
            message: `the sources in ${dir} pass ${MAX_SOURCE_BYTES / 2 ** 20} MiB`,
            hint: 'build.source is the folder of the sources alone: move build output and data elsewhere.',
          });
        files.push({
          path: relative(dir, path).split(sep).join('/'),
          content,
          executable: (lstatSync(path).mode & 0o111) !== 0,
        });
      }
    }
  };
  walk(dir);
  return files;
}

/**
 * The build's output as if it had run in the user's own folder: the copy's path is theirs, and a
 * compiler's "main.c:12:5: error" names their file in full, so a terminal or editor opens it.
 */
export function userPaths(output: string, copy: string, dir: string, files: SourceFile[]): string {
  const ours = new Set(files.map((f) => f.path));
  return output
    .split(copy)
    .join(dir)
    .replace(/^([^\s/:][^\s:]*)(?=:\d+[:,])/gm, (path: string) => (ours.has(path) ? `${dir}/${path}` : path));
}

/** The shell command that builds in the sources' copy. */
export function buildScript(build: Pick<Build, 'system' | 'command'>): string {
  switch (build.system) {
    case 'make':
      return 'make -j"$(nproc)"';
    case 'meson':
      return 'meson setup build && ninja -C build';
    case 'command':
      return build.command;
  }
}

/** The build's key: the sources' paths, modes and contents, and how they are built. */
export function buildKey(files: SourceFile[], build: Pick<Build, 'system' | 'command' | 'binary'>): string {
  const hash = createHash('sha256').update(JSON.stringify([buildScript(build), build.binary]));
  for (const f of files) hash.update(`\0${f.path}\0${f.executable ? 'x' : '-'}\0`).update(f.content);
  return hash.digest('hex').slice(0, 16);
}

export interface Built {
  /** The program to run, where the app runs. */
  program: string;
  /** Whether this call built it (else a build of the same key was there). */
  built: boolean;
  key: string;
}

/**
 * The app's program, built where it runs if its key has not been built there. A failed build
 * leaves nothing behind but says the compiler's own lines, with the user's folder in its paths.
 */
export async function ensureBuilt(
  target: Pick<AppTarget, 'exec' | 'put' | 'appBuildRoot' | 'where'>,
  app: Pick<App, 'name'> & { build: Build },
): Promise<Built> {
  const files = readSources(app.build.dir);
  const key = buildKey(files, app.build);
  const dir = `${target.appBuildRoot}/${app.name}-${key}`;
  const program = `${dir}/${app.build.binary}`;
  if ((await target.exec(['test', '-x', program], 30_000)).exitCode === 0) return { program, built: false, key };
  const tmp = `${dir}.tmp`;
  await target.exec(['rm', '-rf', tmp], 60_000);
  await target.put(tmp, files);
  // The folder as sh's $1: no quoting to get wrong.
  const r = await target.exec(
    ['sh', '-c', `cd "$1" && { ${buildScript(app.build)}; } 2>&1`, 'sh', tmp],
    BUILD_TIMEOUT_MS,
  );
  const output = userPaths(r.stdout, tmp, app.build.dir, files);
  if (r.exitCode !== 0) {
    await target.exec(['rm', '-rf', tmp], 60_000);
    throw new LabError({
      code: 'PROCESS',
      message: `building app ${app.name} from ${app.build.dir} failed (${app.build.system}, exit ${r.exitCode}, ${target.where})`,
      hint: output.trim().split('\n').slice(-25).join('\n'),
    });
  }
  const made = await target.exec(['test', '-x', `${tmp}/${app.build.binary}`], 30_000);
  if (made.exitCode !== 0) {
    await target.exec(['rm', '-rf', tmp], 60_000);
    throw new LabError({
      code: 'PROCESS',
      message: `building app ${app.name} made no program at ${app.build.binary} (in ${app.build.dir}, ${target.where})`,
      hint: `build.binary names the file the build leaves, relative to the source folder. The build said:\n${output.trim().split('\n').slice(-10).join('\n')}`,
    });
  }
  const moved = await target.exec(['sh', '-c', 'rm -rf "$1" && mv "$2" "$1"', 'sh', dir, tmp], 60_000);
  if (moved.exitCode !== 0)
    throw new LabError({
      code: 'PROCESS',
      message: `cannot keep the build of ${app.name} in ${dir}`,
      hint: moved.stderr,
    });
  return { program, built: true, key };
}
