// DPDK from a genuine release tarball, for real: Debian's source package of DPDK 22.11 (an upstream
// stable release, fetched with apt-get source, no internet), served over HTTP on the lab namespace's
// loopback, which the guest reaches as 10.0.2.2 through QEMU's user networking. cloud-init fetches it,
// checks its sha256, builds it with meson/ninja (only the drivers the lab needs) and builds the apps
// against it; both apps then run and verify. The build lands in the host cache, and a second cold
// boot installs it from there without building. Behind LAB_SLOW=1: the build alone takes many
// minutes under TCG. First, the same release image with a tarball the guest cannot reach: a
// provisioning that fails. It lives here because it needs that second guest image (build tools
// instead of Debian's DPDK), which the build below makes anyway.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsExists } from '../../src/host/netns.js';
import { waitFor } from '../../src/host/wait.js';
import { sha256File } from '../../src/image/seal.js';
import { dpdkBuildPlan } from '../../src/image/dpdk-build.js';
import { imagePlan } from '../../src/image/recipe.js';
import { loadLab } from '../../src/core/load.js';
import { defaultArch } from '../../src/config/arch.js';
import { dpdkBuildCacheRoot, imageCacheRoot, labCacheRoot } from '../../src/layout.js';
import { lab, labAsync, ROOT } from '../helpers/lab.js';
import { withPrivateApt } from '../helpers/private-apt.js';

const SLOW = process.env.LAB_SLOW === '1';
/** lab up's own deadline; each test's is longer, so a slow build fails in lab, which then cleans up, not in vitest. */
const UP_TIMEOUT = 3 * 3_600_000;
const TEST_TIMEOUT = UP_TIMEOUT + 600_000;
const PORT = 8080;

/** Debian's DPDK source package, fetched once with a private apt configuration (deb-src, no change to the host's). */
function debianDpdkTarball(): { file: string; version: string } {
  const cache = join(labCacheRoot(), 'sources');
  const cached = existsSync(cache) ? readdirSync(cache).find((f) => /^dpdk_[\d.]+\.orig\.tar\.xz$/.test(f)) : undefined;
  if (!cached) {
    withPrivateApt(
      'deb-src http://deb.debian.org/debian bookworm main\n',
      [['source', '--download-only', 'dpdk']],
      (apt, files) => {
        const orig = files.find((f) => /^dpdk_[\d.]+\.orig\.tar\.xz$/.test(f));
        if (!orig) throw new Error(`apt-get source dpdk gave no orig tarball: ${files.join(', ')}`);
        mkdirSync(cache, { recursive: true });
        copyFileSync(join(apt, orig), join(cache, `${orig}.part`));
        renameSync(join(cache, `${orig}.part`), join(cache, orig));
      },
    );
    return debianDpdkTarball();
  }
  return { file: join(cache, cached), version: /^dpdk_([\d.]+)\.orig/.exec(cached)![1]! };
}

/** A one-file HTTP server on 127.0.0.1:PORT inside a namespace: what the guest sees as 10.0.2.2. */
const SERVER = `const [file, port] = process.argv.slice(1); require('http').createServer((req, res) => {
  const fs = require('fs'); res.setHeader('content-length', fs.statSync(file).size); fs.createReadStream(file).pipe(res);
}).listen(+port, '127.0.0.1', () => console.log('listening'));`;

describe.runIf(SLOW)('a guest whose provisioning fails', () => {
  // dpdk.source release, fetched from an address the guest cannot reach: the release image (the one
  // the build below boots too) is made like any other, and cloud-init fails at the download.
  const work = mkdtempSync(join(tmpdir(), 'lab-fail-'));
  const relName = `rl${process.pid % 100000}`;
  const relFile = join(work, 'release.yaml');
  writeFileSync(
    relFile,
    readFileSync(join(ROOT, 'lab.yaml'), 'utf8')
      .replace(/^name: .*/m, `name: ${relName}`)
      .replace(
        /^dpdk:\n( {2}.*\n)+/m,
        [
          'dpdk:',
          '  source: release',
          '  version: "24.07"',
          `  sha256: "${'0'.repeat(64)}"`,
          '  url: http://10.0.2.2:1/dpdk-24.07.tar.xz',
          '',
        ].join('\n'),
      ),
  );
  afterAll(() => {
    lab(['down', '-f', relFile, '--purge']);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    "makes lab up fail with cloud-init's own log, ending at the first error, and leaves nothing running",
    async () => {
      const up = await labAsync(['up', '-f', relFile], ROOT, UP_TIMEOUT);
      expect(up.status, up.stderr).toBe(3);
      expect(up.stderr).toContain('error: cloud-init failed in the guest (status: error)');
      expect(up.stderr).toContain('--- /var/log/cloud-init-output.log ---');
      expect(up.stderr).toMatch(/curl: \(7\) Failed to connect to 10\.0\.2\.2 port 1/);
      expect(up.stderr, 'the apps are not built on a guest without DPDK').not.toContain('make: Entering directory');
      expect(netnsExists(`lab-${relName}`)).toBe(false);
      expect(processesNaming(join(work, '.lab', relName))).toEqual([]);
      expect(
        (JSON.parse(lab(['status', '-f', relFile, '--json']).stdout) as { nodes: Array<{ state: string }> }).nodes[0]!
          .state,
      ).toBe('stopped');
    },
    TEST_TIMEOUT,
  );
});

/** PIDs of processes whose command line names files under `dir`: only this test's labs. */
function processesNaming(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

// The host's own architecture, and an aarch64 guest (examples/aarch64.yaml) built under emulation:
// the build is keyed by the image, so by the architecture, and runs in the guest either way.
const RELEASE_LABS = [
  { arch: defaultArch(), base: 'lab.yaml', prefix: 'sl' },
  ...(defaultArch() === 'aarch64' ? [] : [{ arch: 'aarch64' as const, base: 'examples/aarch64.yaml', prefix: 'sa' }]),
];

describe.runIf(SLOW).each(RELEASE_LABS)(
  "dpdk.source release from Debian's DPDK tarball, $arch guest",
  ({ arch, base, prefix }) => {
    const work = mkdtempSync(join(tmpdir(), 'lab-slow-'));
    const name = `${prefix}${process.pid % 100000}`;
    const file = join(work, 'lab.yaml');
    let server: ChildProcess | undefined;
    let serving = true;
    const stopServer = () => {
      serving = false;
      server?.kill('SIGTERM');
      server = undefined;
    };

    beforeAll(async () => {
      const tarball = debianDpdkTarball();
      const sha256 = await sha256File(tarball.file);
      writeFileSync(
        file,
        readFileSync(join(ROOT, base), 'utf8')
          .replace(/^name: .*/m, `name: ${name}`)
          .replace(
            /^dpdk:\n( {2}.*\n)+/m,
            [
              'dpdk:',
              '  source: release',
              `  version: "${tarball.version}"`,
              `  sha256: "${sha256}"`,
              `  url: http://10.0.2.2:${PORT}/dpdk-${tarball.version}.tar.xz`,
              '  build:',
              '    drivers: [net/virtio, net/af_packet, bus/pci, bus/vdev, mempool/ring]',
              // Every library DPDK lets go of: the echo apps need only EAL, mempool, mbuf and ethdev.
              '    meson_options: ["disable_libs=bitratestats,cfgfile,flow_classify,gpudev,gro,gso,jobstats,kni,latencystats,metrics,node,pdump,pipeline,port,power,table,vhost"]',
              '',
            ].join('\n'),
          ),
      );
      serveOnceTheNamespaceExists(tarball.file);
    }, 900_000);

    /** The lab namespace exists once lab up has made it; the guest fetches a minute or more later. */
    function serveOnceTheNamespaceExists(tarball: string): void {
      void waitFor(() => !serving || netnsExists(`lab-${name}`), { timeoutMs: UP_TIMEOUT, everyMs: 200 }).then(() => {
        if (!serving) return;
        server = spawn('ip', ['netns', 'exec', `lab-${name}`, process.execPath, '-e', SERVER, tarball, String(PORT)], {
          stdio: 'ignore',
        });
      });
    }

    afterAll(() => {
      stopServer();
      lab(['down', '-f', file, '--purge']);
      rmSync(work, { recursive: true, force: true });
    }, 300_000);

    const cachedBuild = () => {
      const spec = loadLab(file);
      return dpdkBuildPlan(spec, imagePlan(spec, imageCacheRoot(), arch).key, dpdkBuildCacheRoot())!.file;
    };

    it(
      'fetches, checks, builds and installs it in cloud-init, caches the build, and both apps pass lab test',
      async () => {
        // This test proves the build itself: a build cached by an earlier run goes first.
        rmSync(cachedBuild(), { force: true });
        const t0 = Date.now();
        const up = await labAsync(['up', '-f', file], ROOT, UP_TIMEOUT);
        stopServer();
        expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
        console.log(`release build: cold lab up with the DPDK build took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const log = lab(['logs', 'dut', 'cloud-init', '-f', file]).stdout;
        expect(log).toMatch(/Project name: DPDK/);
        expect(log).toMatch(/Project version: 22\.11/);
        // QEMU's max CPU has no implementer DPDK knows: the generic armv8 build, as lab asks for.
        if (arch === 'aarch64') expect(log).toContain('Arm implementer: Generic armv8');
        expect(log).toMatch(/\[\d+\/\d+\] Linking target drivers\/librte_net_virtio\.so/);
        expect(log, 'only the drivers the spec names are built').not.toMatch(/librte_net_ixgbe/);
        expect(log, 'nor the libraries it disables').not.toMatch(/librte_pipeline/);
        expect(log).toMatch(/lab-install-dpdk: DPDK 22\.11\.\d+ ready/);
        expect(existsSync(cachedBuild())).toBe(true);
        const test = await labAsync(['test', '-f', file, '--json'], ROOT, UP_TIMEOUT);
        expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
      },
      TEST_TIMEOUT,
    );

    it(
      'a second cold boot installs the cached build without fetching or building, and the apps pass again',
      async () => {
        expect(existsSync(cachedBuild()), 'the build the first test cached').toBe(true);
        stopServer();
        expect(lab(['down', '-f', file, '--purge']).status).toBe(0);
        const t0 = Date.now();
        const up = await labAsync(['up', '-f', file], ROOT, UP_TIMEOUT);
        expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
        console.log(
          `release build: cold lab up from the cached DPDK build took ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
        const log = lab(['logs', 'dut', 'cloud-init', '-f', file]).stdout;
        expect(log).toContain("from the host's build cache (no build)");
        expect(log, 'nothing fetched, nothing built').not.toMatch(/Project name: DPDK|% Total/);
        expect(log).toMatch(/lab-install-dpdk: DPDK 22\.11\.\d+ ready/);
        const test = await labAsync(['test', '-f', file, '--json'], ROOT, UP_TIMEOUT);
        expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
      },
      TEST_TIMEOUT,
    );
  },
);
