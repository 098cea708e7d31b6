// lab render --target kubevirt: the manifests held to KubeVirt's OpenAPI document, Multus' CRD and
// kubernetes-models' validation, each shown to fail on a planted wrong field; the target's rules at
// file:line:col; the typed models catching a wrong field at compile time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { testerImageTag } from '../../src/image/tester-image.js';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadLab, loadLabText } from '../../src/core/load.js';
import { labRenderKubevirt } from '../../src/core/render.js';
import { kubevirtValidator, nadValidator } from '../helpers/kubevirt-schema.js';
import { MINIMAL, problemsOf, ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-kubevirt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const validateVm = kubevirtValidator('v1.VirtualMachine');
const validateNad = nadValidator();

type Doc = Record<string, any>;

/** The kubernetes-models class of a tester object, which validates it. */
function testerModel(d: Doc): { validate(): void } {
  const models = { Service, ServiceAccount, Role, RoleBinding, ConfigMap, Secret, Job } as const;
  const Model = models[d.kind as keyof typeof models];
  if (!Model) throw new Error(`no model for ${d.kind}`);
  return new Model(d as never);
}

/** Each file's documents, parsed as Kubernetes reads them (YAML 1.1). */
function documents(dir: string, file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(dir, file), 'utf8'), { version: '1.1' }).map((d) => d.toJS() as Doc);
}

const SPECS = ['lab.yaml', 'examples/two-vm.yaml'];
const rendered = new Map<string, string>();

beforeAll(async () => {
  for (const spec of SPECS) {
    const out = join(work, spec.replace(/\W/g, '-'));
    await labRenderKubevirt(loadLab(join(ROOT, spec), { target: 'kubevirt' }), { out });
    rendered.set(spec, out);
  }
});

describe.each(SPECS)('lab render --target kubevirt -f %s', (spec) => {
  const dir = () => rendered.get(spec)!;

  it('writes a kustomization.yaml that names every file it wrote, each there', () => {
    const [k] = documents(dir(), 'kustomization.yaml');
    expect(k!.kind).toBe('Kustomization');
    expect(k!.resources).toEqual([
      'namespace.yaml',
      'networks.yaml',
      'secrets.yaml',
      'virtualmachines.yaml',
      'tester.yaml',
    ]);
    for (const f of k!.resources as string[]) expect(existsSync(join(dir(), f))).toBe(true);
    // The Secrets carry each guest's private host key, and the tester's the lab's.
    expect(statSync(join(dir(), 'secrets.yaml')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir(), 'tester.yaml')).mode & 0o777).toBe(0o600);
  });

  it('renders the same files again: the keys are made once and kept', async () => {
    const files = [
      'namespace.yaml',
      'networks.yaml',
      'secrets.yaml',
      'virtualmachines.yaml',
      'tester.yaml',
      'kustomization.yaml',
    ];
    const before = files.map((f) => readFileSync(join(dir(), f), 'utf8'));
    await labRenderKubevirt(loadLab(join(ROOT, spec), { target: 'kubevirt' }), { out: dir() });
    expect(files.map((f) => readFileSync(join(dir(), f), 'utf8'))).toEqual(before);
  });

  it("every VirtualMachine passes KubeVirt's OpenAPI schema with unknown fields refused", () => {
    const vms = documents(dir(), 'virtualmachines.yaml');
    expect(vms.length).toBe(loadLab(join(ROOT, spec), { target: 'kubevirt' }).nodes.length);
    for (const vm of vms) expect(validateVm(vm), vm.metadata.name).toEqual([]);
  });

  it("every NetworkAttachmentDefinition passes Multus' CRD schema, its config a bridge on the cluster node", () => {
    const nads = documents(dir(), 'networks.yaml');
    expect(nads.length).toBeGreaterThan(0);
    for (const nad of nads) {
      expect(validateNad(nad), nad.metadata.name).toEqual([]);
      const config = JSON.parse(nad.spec.config as string) as Record<string, unknown>;
      expect(config).toMatchObject({ cniVersion: '0.3.1', type: 'bridge', name: nad.metadata.name });
      expect((config.bridge as string).length).toBeLessThanOrEqual(15);
    }
  });

  it("the Namespace and every Secret pass kubernetes-models' validation", () => {
    for (const ns of documents(dir(), 'namespace.yaml'))
      expect(() => new Namespace(ns as never).validate()).not.toThrow();
    for (const s of documents(dir(), 'secrets.yaml')) {
      expect(() => new Secret(s as never).validate()).not.toThrow();
      expect(s.stringData.userdata).toMatch(/^#cloud-config\n/);
    }
  });

  it("the tester's Service, ServiceAccount, Role, RoleBinding, ConfigMap, Secret and Job pass kubernetes-models' validation", () => {
    const docs = documents(dir(), 'tester.yaml');
    expect(docs.map((d) => d.kind)).toEqual([
      'Service',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Secret',
      'Job',
    ]);
    for (const d of docs) expect(() => testerModel(d).validate(), d.kind).not.toThrow();
  });

  it("the tester pod joins each NIC's own wire as the lab namespace's end, and reaches each VM by name with its pinned key", () => {
    const lab = loadLab(join(ROOT, spec), { target: 'kubevirt' });
    const docs = documents(dir(), 'tester.yaml');
    const job = docs.find((d) => d.kind === 'Job')!;
    const pod = job.spec.template;
    const joined = JSON.parse(pod.metadata.annotations['k8s.v1.cni.cncf.io/networks'] as string) as Doc[];
    const own = lab.nodes.flatMap((n) => n.nics.filter((nic) => nic.peer.kind === 'labns').map((nic) => ({ n, nic })));
    expect(joined.map((j) => j.interface).sort()).toEqual(own.map(({ nic }) => nic.labnsIf).sort());
    const nads = new Set(documents(dir(), 'networks.yaml').map((n) => n.metadata.name as string));
    for (const j of joined) expect(nads.has(j.name as string), j.name).toBe(true);
    // The image lab images tester makes, by default.
    expect(pod.spec.containers[0].image).toBe(testerImageTag());
    const script = pod.spec.containers[0].command.join(' ') as string;
    expect(script).toContain('lab test -f /var/lib/lab-tester/lab.yaml --target kubevirt --keys /etc/lab/keys');
    // The headless Service names the VMs (hostname.subdomain) and selects them, not the tester.
    const service = docs.find((d) => d.kind === 'Service')!;
    for (const vm of documents(dir(), 'virtualmachines.yaml')) {
      const t = vm.spec.template;
      expect([t.spec.hostname, t.spec.subdomain]).toEqual([vm.metadata.name, service.metadata.name]);
      for (const [k, v] of Object.entries(service.spec.selector as Record<string, string>))
        expect(t.metadata.labels[k]).toBe(v);
    }
    expect(pod.metadata.labels['lab-role']).not.toBe(service.spec.selector['lab-role']);
    const keys = docs.find((d) => d.kind === 'Secret')!;
    const hostKeys = readFileSync(join(dir(), 'nodes', lab.nodes[0]!.name, 'ssh_host_ed25519_key.pub'), 'utf8');
    expect(keys.stringData[`${lab.nodes[0]!.name}.pub`]).toBe(hostKeys);
    expect(keys.stringData.id_ed25519).toBe(readFileSync(join(dir(), 'id_ed25519'), 'utf8'));
    const spec0 = docs.find((d) => d.kind === 'ConfigMap')!;
    expect(spec0.data['lab.yaml']).toBe(readFileSync(join(ROOT, spec), 'utf8'));
  });

  it('each VM interface has its NIC MAC as a string, and its network is a NetworkAttachmentDefinition written', () => {
    const lab = loadLab(join(ROOT, spec), { target: 'kubevirt' });
    const nads = new Set(documents(dir(), 'networks.yaml').map((n) => n.metadata.name as string));
    for (const vm of documents(dir(), 'virtualmachines.yaml')) {
      const node = lab.nodes.find((n) => n.name === vm.metadata.name)!;
      const { domain, networks } = vm.spec.template.spec;
      for (const nic of node.nics) {
        expect(domain.devices.interfaces.find((i: Doc) => i.name === nic.name).macAddress).toBe(nic.mac);
        expect(nads.has(networks.find((n: Doc) => n.name === nic.name).multus.networkName)).toBe(true);
      }
    }
  });
});

describe('the mapping', () => {
  const vmOf = (spec: string, node: string) =>
    documents(rendered.get(spec)!, 'virtualmachines.yaml').find((v) => v.metadata.name === node)!;
  const userData = (spec: string, node: string) =>
    parse(
      documents(rendered.get(spec)!, 'secrets.yaml').find((s) => s.metadata.name === `${node}-cloud-init`)!.stringData
        .userdata,
    ) as Doc;

  it('dedicated CPUs with the emulator thread isolated, hugepage-backed memory, multiqueue where a NIC has queues', () => {
    const { domain } = vmOf('lab.yaml', 'dut').spec.template.spec;
    expect(domain.cpu).toEqual({
      cores: 3,
      sockets: 1,
      threads: 1,
      dedicatedCpuPlacement: true,
      isolateEmulatorThread: true,
    });
    expect(domain.memory).toEqual({ guest: '2048Mi', hugepages: { pageSize: '2Mi' } });
    expect(domain.devices.networkInterfaceMultiqueue).toBe(true);
    // The two-VM lab's tester has one queue: no multiqueue there.
    expect(
      vmOf('examples/two-vm.yaml', 'tst').spec.template.spec.domain.devices.networkInterfaceMultiqueue,
    ).toBeUndefined();
  });

  it("the guest sets the spec's queue count where KubeVirt gives one per vCPU, and writes the readiness marker last", () => {
    const dut = userData('lab.yaml', 'dut');
    expect(dut.bootcmd).toEqual([
      ['sh', '-c', expect.stringContaining('ethtool -L'), 'lab-channels', '52:54:00:12:34:56', '2'],
    ]);
    expect(dut.runcmd[0]).toMatch(/lab-build-apps && .*touch \/var\/lib\/lab\/configured$/);
    const probe = vmOf('lab.yaml', 'dut').spec.template.spec.readinessProbe;
    expect(probe.exec.command).toEqual(['test', '-e', '/var/lib/lab/configured']);
    expect(userData('examples/two-vm.yaml', 'tst').bootcmd).toBeUndefined();
  });

  it("lab's image boots its kernel from the containerDisk image, with no virtual IOMMU on the command line", () => {
    const { domain, volumes } = vmOf('lab.yaml', 'dut').spec.template.spec;
    const image = volumes.find((v: Doc) => v.name === 'root').containerDisk.image as string;
    expect(image).toMatch(/^localhost\/lab-guest:[0-9a-f]{12}$/);
    expect(domain.firmware.kernelBoot.container.image).toBe(image);
    expect(domain.firmware.kernelBoot.kernelArgs).not.toContain('intel_iommu');
  });

  it('a lab with a DPDK release build has it as a disk the guest finds by its serial, from the same image', async () => {
    const file = join(work, 'release.yaml');
    writeFileSync(
      file,
      `${MINIMAL.replace('nodes:', `dpdk:\n  source: release\n  version: "22.11.4"\n  sha256: "${'ab'.repeat(32)}"\nnodes:`)}cluster:\n  os_driver_for_dpdk: uio_pci_generic\n`,
    );
    const out = join(work, 'release');
    await labRenderKubevirt(loadLab(file, { target: 'kubevirt' }), { out });
    const [vm] = documents(out, 'virtualmachines.yaml');
    expect(validateVm(vm)).toEqual([]);
    const { domain, volumes } = vm!.spec.template.spec;
    expect(domain.devices.disks).toContainEqual({ name: 'dpdk', serial: 'lab-dpdk', disk: { bus: 'virtio' } });
    const root = volumes.find((v: Doc) => v.name === 'root').containerDisk.image as string;
    expect(root).toMatch(/^localhost\/lab-guest:[0-9a-f]{12}-dpdk-[0-9a-f]{12}$/);
    expect(volumes).toContainEqual({ name: 'dpdk', containerDisk: { image: root, path: '/disk/dpdk.tar' } });
  });

  it('a link is one NetworkAttachmentDefinition both VMs join', () => {
    const names = ['tst', 'dut'].map(
      (n) => vmOf('examples/two-vm.yaml', n).spec.template.spec.networks.find((x: Doc) => x.multus).multus.networkName,
    );
    expect(names).toEqual(['link-0', 'link-0']);
  });
});

describe('planted wrong fields fail each validation', () => {
  const first = (file: string) => documents(rendered.get('lab.yaml')!, file)[0]!;

  it('a VirtualMachine with a field KubeVirt does not have, or one of the wrong type', () => {
    const vm = first('virtualmachines.yaml');
    vm.spec.template.spec.domain.devices.interfaces[1].queues = 2;
    expect(validateVm(vm).join('\n')).toMatch(/additional properties: queues/);
    const typo = first('virtualmachines.yaml');
    typo.spec.template.spec.domain.cpu.cores = 'three';
    expect(validateVm(typo).join('\n')).toMatch(/cpu\/cores must be integer/);
  });

  it('a NetworkAttachmentDefinition with a field the CRD does not have, in spec or metadata', () => {
    const nad = first('networks.yaml');
    nad.spec.cni = 'bridge';
    expect(validateNad(nad).join('\n')).toMatch(/additional properties: cni/);
    const meta = first('networks.yaml');
    meta.metadata.label = { a: 'b' };
    expect(validateNad(meta).join('\n')).toMatch(/metadata.*additional properties: label/);
  });

  it('a tester object with a field of the wrong type, or a Job without what a Job must have', () => {
    const dir = rendered.get('lab.yaml')!;
    const docs = documents(dir, 'tester.yaml');
    const job = structuredClone(docs.find((d) => d.kind === 'Job')!);
    job.spec.backoffLimit = 'never';
    expect(() => testerModel(job).validate()).toThrow(/backoffLimit/);
    const noPod = structuredClone(docs.find((d) => d.kind === 'Job')!);
    delete noPod.spec.template.spec.containers;
    expect(() => testerModel(noPod).validate()).toThrow(/containers/);
    const role = structuredClone(docs.find((d) => d.kind === 'Role')!);
    role.rules[0].verbs = 'get';
    expect(() => testerModel(role).validate()).toThrow(/verbs/);
    const binding = structuredClone(docs.find((d) => d.kind === 'RoleBinding')!);
    delete binding.roleRef;
    expect(() => testerModel(binding).validate()).toThrow(/roleRef/);
  });

  it('a Secret or Namespace with a field of the wrong type', () => {
    const secret = first('secrets.yaml');
    secret.stringData.userdata = 42;
    expect(() => new Secret(secret as never).validate()).toThrow();
    const ns = first('namespace.yaml');
    ns.metadata.labels = 'lab';
    expect(() => new Namespace(ns as never).validate()).toThrow();
  });

  it('tsc refuses a field the KubeVirt model does not have', () => {
    const file = join(ROOT, 'test', `.planted-kubevirt-${process.pid}.ts`);
    const body = (field: string) =>
      `import type { V1Interface } from '@kubevirt-ui-ext/kubevirt-api/kubevirt';\nexport const i: V1Interface = { name: 'dp0', ${field} };\n`;
    const tsc = () =>
      spawnSync(
        process.execPath,
        [
          join(ROOT, 'node_modules/typescript/bin/tsc'),
          '--noEmit',
          '--strict',
          '--module',
          'nodenext',
          '--skipLibCheck',
          file,
        ],
        {
          encoding: 'utf8',
        },
      );
    try {
      writeFileSync(file, body("macAddress: '52:54:00:00:00:01'"));
      expect(tsc().status, tsc().stdout).toBe(0);
      writeFileSync(file, body('queues: 2'));
      const r = tsc();
      expect(r.status).not.toBe(0);
      expect(r.stdout).toMatch(/'queues' does not exist in type 'V1Interface'/);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);
});

describe("what KubeVirt cannot do is refused at the spec's line, and still works locally", () => {
  /** MINIMAL with the NIC's driver, more nodes after its own, and more after its apps. */
  const spec = (nodes = '', rest = '', driver = 'uio_pci_generic') =>
    MINIMAL.replace('ip: 10.10.0.2/24\n', `ip: 10.10.0.2/24\n        os_driver_for_dpdk: ${driver}\n${nodes}`) + rest;
  const file = join(work, 'kv.yaml');
  const kubevirt = (text: string) => problemsOf(() => loadLabText(text, file, { target: 'kubevirt' }));

  it('vfio-pci without a virtual IOMMU, unless cluster.os_driver_for_dpdk says what to use there', () => {
    const text = spec('', '', 'vfio-pci');
    const [p] = kubevirt(text);
    expect(p).toMatchObject({ path: 'nodes.dut.nics[0].os_driver_for_dpdk', location: { file, line: 9, col: 29 } });
    expect(p!.message).toContain('kubevirt/kubevirt#15029');
    expect(p!.hint).toContain('cluster.os_driver_for_dpdk: uio_pci_generic');
    expect(loadLabText(text, file).nodes[0]!.iommu).toBe(true);
    const onCluster = loadLabText(`${text}cluster:\n  os_driver_for_dpdk: uio_pci_generic\n`, file, {
      target: 'kubevirt',
    });
    expect(onCluster.nodes[0]!.nics[0]!.os_driver_for_dpdk).toBe('uio_pci_generic');
    expect(onCluster.nodes[0]!.iommu).toBe(false);
  });

  it("TCG, or virtio-net's device RSS, which KubeVirt has no setting for", () => {
    const text = spec()
      .replace('    cpus: 3\n', '    cpus: 3\n    accel: tcg\n')
      .replace('queues: 2\n', 'queues: 2\n        rss: true\n');
    expect(kubevirt(text).map((p) => [p.path, p.location?.line])).toEqual([
      ['nodes.dut.accel', 5],
      ['nodes.dut.nics[0].rss', 9],
    ]);
    expect(loadLabText(text, file).nodes[0]!.accel).toBe('tcg');
  });

  it('memory that is not a whole number of the hugepages backing it', () => {
    const text = spec().replace(
      '    cpus: 3\n',
      '    cpus: 3\n    memory: 1500M\n    hugepages: { size: 1G, count: 1 }\n',
    );
    expect(kubevirt(text).map((p) => [p.path, p.location?.line])).toEqual([['nodes.dut.memory', 5]]);
    expect(loadLabText(text, file).nodes[0]!.memoryMiB).toBe(1500);
  });

  it('a netns node', () => {
    const text = spec(
      '  tst:\n    kind: netns\n    nics:\n      - name: eth0\n        ip: 10.10.0.1/24\n',
      'links:\n  - endpoints: [tst.eth0, dut.dp0]\nverify:\n  from: tst\n',
    );
    expect(kubevirt(text).map((p) => [p.path, p.location?.line])).toContainEqual(['nodes.tst.kind', 11]);
    expect(loadLabText(text, file).nodes.map((n) => n.kind)).toEqual(['qemu', 'netns']);
  });

  it('an impaired wire', () => {
    const text = spec(
      '  b:\n    nics:\n      - name: dp0\n        ip: 10.10.0.3/24\n        os_driver_for_dpdk: uio_pci_generic\n',
      'links:\n  - endpoints: [dut.dp0, b.dp0]\n    impair: { delay_us: 100 }\nverify:\n  from: b\n',
    );
    const problems = kubevirt(text);
    expect(problems.map((p) => [p.path, p.location?.line])).toContainEqual(['links[0].impair', 26]);
    expect(problems.find((p) => p.path === 'links[0].impair')!.message).toContain('l2impair');
    expect(loadLabText(text, file).relays.length).toBe(1);
  });

  it("a VF that lab's Debian kernel cannot bind, that names no NIC, that has no resource, or that shares a wire with virtio", () => {
    const two = (sriov: string) =>
      spec(
        '  b:\n    nics:\n      - name: dp0\n        ip: 10.10.0.3/24\n        os_driver_for_dpdk: uio_pci_generic\n',
        `links:\n  - endpoints: [dut.dp0, b.dp0]\nverify:\n  from: b\ncluster:\n  sriov:\n${sriov}`,
      );
    const mixed = two('    resource: intel.com/sriov_vfio\n    nics: [dut.dp0, dut.dp9]\n');
    expect(kubevirt(mixed).map((p) => [p.path, p.message.slice(0, 40)])).toEqual([
      ['cluster.sriov.nics[0]', 'dut.dp0 is a VF on the cluster, which DP'],
      ['cluster.sriov.nics[0]', 'dut.dp0 is a VF on the cluster and share'],
      ['cluster.sriov.nics[1]', 'cluster.sriov.nics names dut.dp9, and th'],
    ]);
    expect(kubevirt(two('    nics: [dut.dp0, b.dp0]\n')).map((p) => p.path)).toContain('cluster.sriov');
    const own = spec('', 'cluster:\n  sriov:\n    resource: intel.com/sriov_vfio\n    nics: [dut.dp0]\n');
    expect(kubevirt(own).map((p) => p.message)).toContainEqual(
      expect.stringContaining('tester pod, which cannot hold a VF'),
    );
    // Here the same NIC is virtio, as it always is on this host.
    expect(loadLabText(mixed, file).nodes[0]!.nics[0]!.vf).toBeUndefined();
  });
});

describe('a lab on a downloaded image, with SR-IOV VFs, on the cluster', () => {
  const file = join(work, 'sriov.yaml');
  const text = readFileSync(join(ROOT, 'examples/two-vm.yaml'), 'utf8')
    .replace(
      /^image:\n( {2}.*\n)+/m,
      `image:\n  url: https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img\n  sha256: "${'0'.repeat(64)}"\n`,
    )
    .concat('  sriov:\n    resource: intel.com/intel_sriov_vfio\n    nics: [tst.eth0, dut.dp0]\n');
  let dir = '';

  beforeAll(async () => {
    writeFileSync(file, text);
    dir = join(work, 'sriov');
    await labRenderKubevirt(loadLab(file, { target: 'kubevirt' }), { out: dir });
  });

  it('each VF is an sriov interface with its MAC, on a NetworkAttachmentDefinition of the SR-IOV CNI asking for the resource', () => {
    const lab = loadLab(file, { target: 'kubevirt' });
    for (const vm of documents(dir, 'virtualmachines.yaml')) {
      expect(validateVm(vm), vm.metadata.name).toEqual([]);
      const nic = lab.nodes.find((n) => n.name === vm.metadata.name)!.nics[0]!;
      const iface = vm.spec.template.spec.domain.devices.interfaces.find((i: Doc) => i.name === nic.name);
      expect(iface).toEqual({ name: nic.name, sriov: {}, macAddress: nic.mac });
      // KubeVirt's multiqueue is for virtio NICs: a VF's queues are its own.
      expect(vm.spec.template.spec.domain.devices.networkInterfaceMultiqueue).toBeUndefined();
      expect(nic.os_driver_for_dpdk).toBe('vfio-pci');
    }
    const [nad] = documents(dir, 'networks.yaml');
    expect(validateNad(nad!)).toEqual([]);
    expect(nad!.metadata.annotations).toEqual({ 'k8s.v1.cni.cncf.io/resourceName': 'intel.com/intel_sriov_vfio' });
    expect(JSON.parse(nad!.spec.config as string)).toMatchObject({ type: 'sriov', name: 'link-0', spoofchk: 'off' });
    // No virtio NIC to set the queues of, and the tester pod joins no VF.
    for (const s of documents(dir, 'secrets.yaml')) expect(s.stringData.userdata).not.toContain('bootcmd');
    const job = documents(dir, 'tester.yaml').find((d) => d.kind === 'Job')!;
    expect(job.spec.template.metadata.annotations['k8s.v1.cni.cncf.io/networks']).toBe('[]');
  });

  it("the cluster downloads the image's URL into each VM's root DataVolume, unless cluster.guest_image names a containerDisk", async () => {
    for (const vm of documents(dir, 'virtualmachines.yaml')) {
      const name = vm.metadata.name as string;
      expect(vm.spec.dataVolumeTemplates).toEqual([
        {
          metadata: {
            name: `${name}-root`,
            labels: { 'app.kubernetes.io/name': 'lab', 'app.kubernetes.io/instance': 'twovm' },
          },
          spec: {
            source: { http: { url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img' } },
            storage: { resources: { requests: { storage: '10Gi' } } },
          },
        },
      ]);
      expect(vm.spec.template.spec.volumes[0]).toEqual({ name: 'root', dataVolume: { name: `${name}-root` } });
      // The disk's own boot loader: no kernel from an image.
      expect(vm.spec.template.spec.domain.firmware).toBeUndefined();
    }
    const named = join(work, 'sriov-named.yaml');
    writeFileSync(named, text.replace('cluster:\n', 'cluster:\n  guest_image: registry.example/ubuntu:24.04\n'));
    const out = join(work, 'sriov-named');
    await labRenderKubevirt(loadLab(named, { target: 'kubevirt' }), { out });
    const [vm] = documents(out, 'virtualmachines.yaml');
    expect(vm!.spec.dataVolumeTemplates).toBeUndefined();
    expect(vm!.spec.template.spec.volumes[0].containerDisk.image).toBe('registry.example/ubuntu:24.04');
    expect(validateVm(vm!)).toEqual([]);
  });

  it("a planted wrong field in a VF interface fails KubeVirt's schema", () => {
    const [vm] = documents(dir, 'virtualmachines.yaml');
    vm!.spec.template.spec.domain.devices.interfaces[1].sriov = { vlan: 5 };
    expect(validateVm(vm!).join('\n')).toMatch(/additional properties: vlan/);
  });
});
