// npm run bench:boot [-- SPEC] — how long a lab (lab.yaml, or SPEC: examples/aarch64.yaml compares
// the architectures) takes to be ready, cold (boot and provision, then save the provisioned
// snapshot) and warm (restored from it), how long lab test then takes, next to a bare boot of the
// same image to its login prompt under the same accelerator. BENCH_IMAGE=1 also times a fresh image
// build (into a temporary cache, so the real one is kept). Prints figures; asserts nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../assets.js';
import { Steps } from '../commands/steps.js';
import { run, spawnPiped } from '../host/exec.js';
import { ensureImage } from '../image/build.js';
import { imagePlan } from '../image/recipe.js';
import { labDown } from '../core/down.js';
import { loadLab } from '../core/load.js';
import { labUp } from '../core/up.js';
import { labTest } from '../core/test-run.js';
import { imageCacheRoot } from '../layout.js';
import type { Accel } from '../render/qemu.js';
import { qemuBareBootArgv } from '../nodes/registry.js';

const work = mkdtempSync(join(tmpdir(), 'lab-bench-boot-'));
const specFile = join(work, 'lab.yaml');
const source = process.argv[2] ?? packagePath('lab.yaml');
writeFileSync(specFile, readFileSync(source, 'utf8').replace(/^name: .*/m, 'name: benchboot'));
const lab = loadLab(specFile);
const node = lab.nodes[0]!;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  const r = await fn();
  return [r, Date.now() - t];
}

/** The same kernel, disk, CPUs and memory, no seed and no data-plane NIC, until getty's prompt. */
async function bareBoot(accel: Accel): Promise<number> {
  const plan = imagePlan(lab, imageCacheRoot(), node.arch);
  const disk = join(work, 'bare.qcow2');
  await run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', plan.disk, disk]);
  const started = Date.now();
  const qemu = spawnPiped(qemuBareBootArgv(node, accel, { disk, kernel: plan.kernel!, initrd: plan.initrd! }));
  qemu.stdin.end();
  let out = '';
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no login prompt within 600 s:\n${out.slice(-1000)}`)), 600_000);
      qemu.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/login: ?$/m.test(out)) {
          clearTimeout(timer);
          resolve(Date.now() - started);
        }
      });
      void qemu.exited.then((e) =>
        reject(
          new Error(
            `QEMU exited (${e.code ?? e.signal ?? e.error?.message}) before a login prompt:\n${out.slice(-1000)}`,
          ),
        ),
      );
    });
  } finally {
    qemu.kill();
  }
}

async function main(): Promise<void> {
  const rows: Array<[string, string]> = [];
  const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  try {
    if (process.env.BENCH_IMAGE === '1') {
      const cache = join(work, 'cache');
      const [, ms] = await timed(() => ensureImage(lab, imagePlan(lab, cache, node.arch), new Steps()));
      rows.push(['offline image, first build (mmdebstrap, mkfs.ext4 -d, qemu-img convert)', fmt(ms)]);
      rmSync(cache, { recursive: true, force: true });
    }
    const [first, upMs] = await timed(() => labUp(lab, new Steps()));
    // The bare boot runs under whatever lab up chose, so the ratio compares like with like.
    const accel = first.nodes[0]!.accel!;
    rows.push([
      `${node.arch}: lab up to ready (image ${first.images?.[0]?.reused ? 'reused' : 'built'}; SSH + cloud-init done), ${accel}`,
      fmt(upMs),
    ]);
    const [, againMs] = await timed(() => labUp(lab, new Steps(true)));
    rows.push(['second lab up (no-op)', fmt(againMs)]);
    // Down keeps the provisioned snapshot the first up saved: the next up restores it.
    await labDown(lab, false);
    const [, warmMs] = await timed(() => labUp(lab, new Steps()));
    rows.push([`warm lab up, restored from the provisioned snapshot (-loadvm), ${accel}`, fmt(warmMs)]);
    // lab test on the lab already up: each app run, verified and stopped, then down.
    const [report, testMs] = await timed(() => labTest(lab, new Steps()));
    rows.push([
      `lab test after the warm up (${report.counts.passed} passed, ${report.counts.failed} failed), ${accel}`,
      fmt(testMs),
    ]);
    await labDown(lab, true);
    const bareMs = await bareBoot(accel);
    rows.push([`bare boot of the same image to a login prompt, ${accel}`, fmt(bareMs)]);
    rows.push(['ratio lab up / bare boot', `${(upMs / bareMs).toFixed(2)}×`]);
  } finally {
    await labDown(lab, true);
    rmSync(work, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}`);
}

await main();
