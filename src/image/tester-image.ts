// The tester's image for a cluster: lab itself (its published files and production dependencies),
// Node.js, l2probe built in place, ping, tcpdump and kubectl, on a Debian root made with mmdebstrap
// and packed as an OCI archive with umoci (no registry, no daemon). Debian 13: lab needs
// Node.js 20.19 or later, which Debian 12 does not package.
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { labVersion, packagePath } from '../assets.js';
import { run } from '../host/exec.js';
import { throwIfInterrupted } from '../host/interrupt.js';
import { nativeBuildDir } from '../host/native-build.js';
import { debCacheRoot } from '../layout.js';
import type { Reporter } from '../progress.js';
import { aptProgressTo } from '../host/apt-progress.js';
import { debCacheHooks, mmdebstrapArgv } from './build.js';
import { needTool, writeOciArchive } from './oci-archive.js';

export const TESTER_SUITE = 'trixie';

/** What the tester pod runs beside lab: its checks' tools, l2probe's build, and kubectl for the report. */
export const TESTER_PACKAGES = [
  'nodejs',
  'iproute2',
  'iputils-ping',
  'tcpdump',
  'openssh-client',
  'make',
  'gcc',
  'libc6-dev',
  'kubectl',
  'ca-certificates',
];

/** Where lab sits in the image, and where its cache is (XDG_CACHE_HOME), l2probe's build in it. */
const LAB_DIR = '/opt/lab';
const CACHE_HOME = '/var/cache';

/** The reference `lab render --target kubevirt` gives the tester by default. */
export function testerImageTag(): string {
  return `localhost/lab-tester:${labVersion()}`;
}

export interface TesterImageExport {
  file: string;
  reference: string;
  tag: string;
  bytes: number;
  suite: string;
  packages: string[];
}

/** lab as npm publishes it, with its production dependencies from the lock file. */
async function stageLab(work: string, reporter: Reporter): Promise<string> {
  const stage = join(work, 'lab');
  mkdirSync(stage, { recursive: true });
  await reporter.step("pack lab's published files (npm pack)", async () => {
    const r = await run(['npm', 'pack', '--ignore-scripts', '--json', '--pack-destination', work, packagePath()], {
      code: 'ENV_TOOL',
      what: 'npm pack',
      timeoutMs: 300_000,
    });
    const [packed] = JSON.parse(r.stdout) as Array<{ filename: string }>;
    await run(['tar', '-xzf', join(work, basename(packed!.filename)), '-C', stage, '--strip-components=1'], {
      code: 'ENV_TOOL',
      what: 'unpacking lab',
    });
    copyFileSync(packagePath('package-lock.json'), join(stage, 'package-lock.json'));
  });
  await reporter.step('install its production dependencies (npm ci --omit=dev)', () =>
    run(['npm', 'ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
      code: 'ENV_TOOL',
      what: 'npm ci',
      cwd: stage,
      timeoutMs: 600_000,
    }),
  );
  return stage;
}

/** The image's one layer: Debian with the packages, lab in LAB_DIR on PATH, l2probe built where lab looks for it. */
async function buildRoot(stage: string, tar: string, reporter: Reporter): Promise<void> {
  const build = join(CACHE_HOME, 'lab', 'native', basename(nativeBuildDir()));
  await reporter.step(`mmdebstrap ${TESTER_SUITE} with ${TESTER_PACKAGES.length} packages`, () =>
    run(
      mmdebstrapArgv(
        TESTER_PACKAGES,
        [
          ...debCacheHooks(),
          // The path comes through the environment, so none is ever quoted into a shell command.
          `--customize-hook=mkdir -p "$1"${dirname(LAB_DIR)} && cp -a "$LAB_STAGE" "$1"${LAB_DIR}`,
          `--customize-hook=ln -s ${LAB_DIR}/bin/lab.js "$1"/usr/local/bin/lab`,
          `--customize-hook=chroot "$1" make -C ${LAB_DIR}/native BUILD=${build} probe`,
        ],
        TESTER_SUITE,
        tar,
      ),
      {
        code: 'ENV_TOOL',
        what: 'building the tester root with mmdebstrap',
        timeoutMs: 1_800_000,
        env: { ...process.env, LAB_DEBS: debCacheRoot(), LAB_STAGE: stage },
        onLine: aptProgressTo(reporter),
      },
    ),
  );
}

/** Writes the tester image as an OCI archive at `out`. */
export async function exportTesterImage(out: string, reporter: Reporter): Promise<TesterImageExport> {
  await needTool('umoci', 'building the tester image');
  await needTool('mmdebstrap', 'building the tester image');
  await needTool('npm', 'building the tester image');
  const tag = labVersion();
  return writeOciArchive(out, tag, reporter, async ({ work, image, umoci }) => {
    const stage = await stageLab(work, reporter);
    throwIfInterrupted();
    const root = join(work, 'root.tar');
    await buildRoot(stage, root, reporter);
    throwIfInterrupted();
    await reporter.step(`make the OCI image ${tag} with umoci`, async () => {
      await umoci(['raw', 'add-layer', '--image', image, root]);
      await umoci([
        'config',
        '--image',
        image,
        '--config.env',
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--config.env',
        `XDG_CACHE_HOME=${CACHE_HOME}`,
        '--config.workingdir',
        '/',
        '--config.cmd',
        'lab',
        '--config.label',
        'org.opencontainers.image.title=lab tester (lab test --target kubevirt)',
        '--config.label',
        `org.opencontainers.image.version=${tag}`,
      ]);
    });
    return { reference: testerImageTag(), tag, suite: TESTER_SUITE, packages: TESTER_PACKAGES };
  });
}
