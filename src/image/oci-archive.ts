// An OCI image archive made with umoci (Debian; no registry, no daemon): the image is filled in a
// work folder beside the archive, which appears only whole, and the folder goes whatever happens,
// Ctrl-C included.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LabError } from '../errors.js';
import { run, which } from '../host/exec.js';
import { makeDir } from '../host/files.js';
import { catchingSignals, throwIfInterrupted } from '../host/interrupt.js';
import type { Reporter } from '../progress.js';

export interface OciWork {
  /** A folder for what goes into the image; removed afterwards. */
  work: string;
  /** The image, as umoci names it: layout:tag. */
  image: string;
  umoci(args: string[]): Promise<unknown>;
}

export async function needTool(name: string, what: string): Promise<void> {
  if (!(await which(name)))
    throw new LabError({
      code: 'ENV_TOOL',
      message: `${what} needs ${name}, which is not installed`,
      hint: `Install it with \`apt-get install ${name}\`.`,
    });
}

/** Makes an empty image tagged `tag`, lets `fill` put its layers and config in, and writes the archive to `out`. */
export async function writeOciArchive<T>(
  out: string,
  tag: string,
  reporter: Reporter,
  fill: (w: OciWork) => Promise<T>,
): Promise<T & { file: string; bytes: number }> {
  const file = resolve(out);
  makeDir(dirname(file), 0o755, 'USAGE');
  const work = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const layout = join(work, 'layout');
  const image = `${layout}:${tag}`;
  const umoci = (args: string[]) => run(['umoci', ...args], { code: 'ENV_TOOL', what: 'umoci' });
  // Ctrl-C becomes an error at the next step, so the work folder still goes.
  return catchingSignals(async () => {
    try {
      makeDir(work);
      await umoci(['init', '--layout', layout]);
      await umoci(['new', '--image', image]);
      const filled = await fill({ work, image, umoci });
      const tmp = join(work, 'archive.tar');
      throwIfInterrupted();
      // An OCI archive is the layout as a tar; ordered and dated the same every time.
      await reporter.step('write the OCI archive', () =>
        run(
          [
            'tar',
            '--sort=name',
            '--mtime=@0',
            '--owner=0',
            '--group=0',
            '--numeric-owner',
            '-C',
            layout,
            '-cf',
            tmp,
            '.',
          ],
          { code: 'ENV_TOOL', what: 'writing the OCI archive' },
        ),
      );
      throwIfInterrupted();
      renameSync(tmp, file);
      return { ...filled, file, bytes: statSync(file).size };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
