// The rendered files checked by the real outside validators: cloud-init's own schema check, and
// QEMU itself, started paused on the rendered command and asked over QMP what it built.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { run, runQuiet } from '../../src/host/exec.js';
import { deleteNetns, runPlan } from '../../src/host/netns.js';
import { Qmp } from '../../src/host/qmp.js';
import { loadLab, loadLabText } from '../../src/core/load.js';
import { labRender, labRenderKubevirt } from '../../src/core/render.js';
import { nodePaths } from '../../src/layout.js';
import { namespaceCommands, tapCommands } from '../../src/render/hostnet.js';
import { farEndCommands } from '../../src/wires/registry.js';
import { qemuArgv } from '../../src/render/qemu.js';
import { qemuProfiles } from '../../src/nodes/qemu/files.js';
import { ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-validators-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The example lab, with a downloaded image (no kernel to boot directly: QEMU only has to accept the machine) and TCG. */
function exampleLab(file: string, name: string, edit: (text: string) => string = (t) => t) {
  const text = edit(readFileSync(join(ROOT, file), 'utf8'))
    .replace(
      /^image:\n( {2}.*\n)+/m,
      `image:\n  url: https://example.invalid/cloud.img\n  sha256: "${'0'.repeat(64)}"\n`,
    )
    .replace(/accel: \w+/g, 'accel: tcg')
    .replace(/^name: .*/m, `name: ${name}`);
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, text);
  return loadLabText(text, path);
}

describe('cloud-init accepts the rendered user-data', () => {
  it.each(['lab.yaml', 'examples/kvm-4q.yaml'])('%s', async (file) => {
    const lab = exampleLab(file, `ci${file.length}`);
    const {
      nodes: [node],
    } = await labRender(lab, join(work, `ci-${lab.name}`));
    const r = await runQuiet(['cloud-init', 'schema', '--config-file', node!.files.userData!]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Valid (cloud-config|schema)/);
  });

  it('and rejects a broken one, so the check can fail', async () => {
    const broken = join(work, 'broken-user-data');
    writeFileSync(broken, '#cloud-config\nusers: 42\nssh_pwauth: maybe\n');
    expect((await runQuiet(['cloud-init', 'schema', '--config-file', broken])).exitCode).not.toBe(0);
  });
});

describe('cloud-init accepts the user-data in every KubeVirt Secret', () => {
  it.each(['lab.yaml', 'examples/two-vm.yaml'])('%s', async (file) => {
    const out = join(work, `kubevirt-${file.replace(/\W/g, '-')}`);
    await labRenderKubevirt(loadLab(join(ROOT, file), { target: 'kubevirt' }), { out });
    const secrets = parseAllDocuments(readFileSync(join(out, 'secrets.yaml'), 'utf8'), { version: '1.1' });
    expect(secrets.length).toBeGreaterThan(0);
    for (const doc of secrets) {
      const { metadata, stringData } = doc.toJS() as { metadata: { name: string }; stringData: { userdata: string } };
      const userData = join(out, `${metadata.name}.user-data`);
      writeFileSync(userData, stringData.userdata);
      const r = await runQuiet(['cloud-init', 'schema', '--config-file', userData]);
      expect(r.exitCode, metadata.name + r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Valid (cloud-config|schema)/);
    }
  });
});

describe('QEMU accepts the rendered VM', () => {
  const cases = [
    { file: 'lab.yaml', name: 'qv2', queues: 2, machine: 'q35' },
    { file: 'examples/kvm-4q.yaml', name: 'qv4', queues: 4, machine: 'q35' },
    // The schema's default: a one-queue NIC, whose tap must not be multi_queue.
    {
      file: 'lab.yaml',
      name: 'qv1',
      queues: 1,
      machine: 'q35',
      edit: (t: string) => t.replace('queues: 2', 'queues: 1').replace(/^apps:\n(.*\n)*?(?=^verify:)/m, ''),
    },
  ];

  it.each(cases)(
    '$file: paused under TCG, QMP shows virtio-net with $queues queues and 2N+2 vectors',
    async ({ file, name, queues, edit }) => {
      const lab = exampleLab(file, name, edit);
      const node = lab.nodes[0]!;
      const root = join(work, `qemu-${name}`);
      const {
        nodes: [rendered],
      } = await labRender(lab, root);
      const paths = nodePaths(root, node.name);
      const netns = `labtest-${name}-${process.pid}`;
      mkdirSync(paths.dir, { recursive: true });
      await run(['qemu-img', 'create', '-q', '-f', 'qcow2', paths.disk, '1G']);
      await run([
        'cloud-localds',
        `--network-config=${paths.networkConfig}`,
        paths.seed,
        paths.userData,
        paths.metaData,
      ]);

      const argv = rendered!.argv.filter((a) => a !== '-daemonize');
      let qemu: ReturnType<typeof spawn> | undefined;
      let qmp: Qmp | undefined;
      try {
        await runPlan([
          ...namespaceCommands(netns),
          ...node.nics.flatMap((nic) => [...tapCommands(netns, nic), ...farEndCommands(netns, nic)]),
        ]);
        qemu = spawn('ip', ['netns', 'exec', netns, ...argv, '-S'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        qemu.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<number | null>((resolve) => qemu!.on('exit', (code) => resolve(code)));
        qmp = await Qmp.open(paths.qmp, 15_000).catch((err: Error) => {
          throw new Error(`${err.message}\nQEMU said: ${stderr}`);
        });

        expect(await qmp.execute<{ status: string }>('query-status')).toMatchObject({ status: 'prelaunch' });
        const buses = await qmp.execute<
          Array<{
            devices: Array<{
              qdev_id: string;
              id: { vendor: number; device: number };
              class_info: { class: number };
            }>;
          }>
        >('query-pci');
        const nic = buses.flatMap((b) => b.devices).find((d) => d.qdev_id === 'dp0-dev');
        expect(nic, 'query-pci lists the data-plane NIC').toBeDefined();
        expect(nic!.id.vendor).toBe(0x1af4);
        expect(nic!.id.device).toBe(0x1041); // modern-only virtio-net (disable-legacy=on, for the IOMMU)
        expect(nic!.class_info.class).toBe(0x0200);
        expect(await qmp.execute('qom-get', { path: '/machine/peripheral/dp0-dev', property: 'vectors' })).toBe(
          2 * queues + 2,
        );
        expect(await qmp.execute('qom-get', { path: '/machine/peripheral/dp0-dev', property: 'mq' })).toBe(true);
        expect(await qmp.execute('qom-get', { path: '/machine/peripheral/dp0-dev', property: 'iommu_platform' })).toBe(
          true,
        );
        const network = await qmp.execute<string>('human-monitor-command', { 'command-line': 'info network' });
        expect(network.match(/type=tap,ifname=dut-dp0/g)?.length, network).toBe(queues);
        const anonymous = await qmp.execute<Array<{ name: string; type: string }>>('qom-list', {
          path: '/machine/peripheral-anon',
        });
        expect(
          anonymous.map((p) => p.type),
          'the virtual IOMMU vfio-pci needs',
        ).toContain('child<intel-iommu>');

        await qmp.execute('quit');
        expect(await exited).toBe(0);
        qemu = undefined;
      } finally {
        qmp?.close();
        if (qemu?.pid !== undefined && qemu.exitCode === null) qemu.kill('SIGKILL');
        await deleteNetns(netns);
      }
    },
    60_000,
  );
});

describe('QEMU accepts a cached DPDK build handed to the guest', () => {
  it('as a read-only virtio disk with the serial the guest finds it by', async () => {
    const tar = join(work, 'dpdk-build.tar');
    writeFileSync(tar, Buffer.alloc(10240));
    const lab = exampleLab('lab.yaml', 'qvd');
    const argv = qemuArgv(
      lab.nodes[0]!,
      {
        lab: 'qvd',
        accel: 'tcg',
        sshPort: 2222,
        boot: { disk: tar, seed: tar, dpdkBuild: tar },
        qmp: '',
        serial: '',
        pidfile: '',
        daemonize: false,
      },
      qemuProfiles('x86_64'),
    );
    const at = argv.findIndex((a) => a.includes('id=labdpdk,'));
    const sock = join(work, 'qvd.qmp');
    const qemu = spawn(
      'qemu-system-x86_64',
      [
        '-machine',
        'pc',
        '-accel',
        'tcg',
        '-nodefaults',
        '-display',
        'none',
        '-S',
        '-qmp',
        `unix:${sock},server=on,wait=off`,
        ...argv.slice(at - 1, at + 3),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    qemu.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let qmp: Qmp | undefined;
    try {
      qmp = await Qmp.open(sock, 15_000).catch((err: Error) => {
        throw new Error(`${err.message}\nQEMU said: ${stderr}`);
      });
      expect(await qmp.execute('qom-get', { path: '/machine/peripheral/labdpdk-dev', property: 'serial' })).toBe(
        'lab-dpdk',
      );
      const blocks =
        await qmp.execute<Array<{ device: string; inserted?: { file: string; ro: boolean } }>>('query-block');
      expect(blocks.find((b) => b.inserted?.file === tar)?.inserted?.ro).toBe(true);
      await qmp.execute('quit');
    } finally {
      qmp?.close();
      if (qemu.exitCode === null) qemu.kill('SIGKILL');
    }
  }, 60_000);
});
