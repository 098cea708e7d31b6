import { describe, expect, it } from 'vitest';
import { loadLab, loadLabText } from '../../src/core/load.js';
import { parseLcores, formatLcores } from '../../src/config/lcores.js';
import { defaultLabnsIp, derivedMac, parseCidr } from '../../src/config/net.js';
import { labFrom, MINIMAL, problemsOf, ROOT } from '../helpers/lab.js';

describe('the example specs', () => {
  it('lab.yaml is valid and sized for a 2-core TCG host', () => {
    const lab = loadLab(`${ROOT}/lab.yaml`);
    const dut = lab.nodes[0]!;
    expect(dut.cpus).toBe(3);
    expect(dut.nics[0]!.queues).toBe(2);
    expect(lab.apps.map((a) => a.name)).toEqual(['l2_echo', 'l2_multi_echo']);
  });

  it('examples/kvm-4q.yaml keeps the seed set-up: 4 queues, l2_multi_echo on 0-3', () => {
    const lab = loadLab(`${ROOT}/examples/kvm-4q.yaml`);
    expect(lab.nodes[0]!.nics[0]!.queues).toBe(4);
    expect(lab.apps.find((a) => a.program === 'l2_multi_echo')!.lcores).toEqual([0, 1, 2, 3]);
  });
});

describe('defaults and derived values', () => {
  const lab = labFrom(MINIMAL);
  const node = lab.nodes[0]!;
  const nic = node.nics[0]!;

  it('fills every default from the schema', () => {
    expect(lab.image).toEqual({ debian: { suite: 'bookworm', mirror: '', packages: [] } });
    expect(lab.dpdk.source).toBe('distro');
    expect(node).toMatchObject({
      kind: 'qemu',
      accel: 'auto',
      memoryMiB: 2048,
      hugepages: { size: '2M', count: 256 },
    });
    expect(nic).toMatchObject({ os_driver_for_dpdk: 'vfio-pci', rss: false });
    expect(lab.verify.checks).toEqual(['kernel_bypass', 'echo', 'forward', 'rss', 'latency', 'control']);
  });

  it('derives vectors = 2N+2, the host address, the MAC and the host interface', () => {
    expect(nic.vectors).toBe(6);
    expect(nic.labns_ip).toBe('10.10.0.1');
    expect(nic.mac).toBe(derivedMac('t/dut/dp0'));
    expect(nic.labnsIf).toBe('dut-dp0');
    expect(node.iommu).toBe(true);
  });

  it('gives l2_echo one lcore and l2_multi_echo one per queue, leaving CPU 0 free', () => {
    expect(lab.apps.find((a) => a.name === 'echo')!.lcores).toEqual([1]);
    expect(lab.apps.find((a) => a.name === 'multi')!.lcores).toEqual([1, 2]);
  });

  it('reads memory with units', () => {
    expect(labFrom(MINIMAL.replace('cpus: 3', 'cpus: 3\n    memory: 4GiB')).nodes[0]!.memoryMiB).toBe(4096);
    expect(labFrom(MINIMAL.replace('cpus: 3', 'cpus: 3\n    memory: 1536M')).nodes[0]!.memoryMiB).toBe(1536);
  });

  it('builds the release URL from the version', () => {
    const sha = 'a'.repeat(64);
    const lab2 = labFrom(`dpdk: { source: release, version: "24.03", sha256: ${sha} }\n${MINIMAL}`);
    expect(lab2.dpdk.url).toBe('https://fast.dpdk.org/rel/dpdk-24.03.tar.xz');
  });
});

describe('validation collects every error', () => {
  it('reports all schema errors at once, not just the first', () => {
    const text = MINIMAL.replace('cpus: 3', 'cpus: 0')
      .replace('queues: 2', 'queues: 0')
      .replace('program: l2_echo', 'program: nope');
    const paths = problemsOf(() => labFrom(text)).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['nodes.dut.cpus', 'nodes.dut.nics[0].queues', 'apps.echo.program']));
  });

  it('--force skips the semantic checks but never the schema', () => {
    const pitfall = `${MINIMAL.replace('queues: 2', 'queues: 1')}    lcores: 1-2\n`;
    expect(() => labFrom(pitfall)).toThrow(/needs 2 queues/);
    const forced = loadLabForce(pitfall);
    expect(forced.apps.find((a) => a.name === 'multi')!.lcores).toEqual([1, 2]);
    expect(() => loadLabForce(MINIMAL.replace('queues: 2', 'queues: 0'))).toThrow(/>= 1/);
  });
});

describe('input that would exhaust lab', () => {
  it('refuses a spec over 1 MiB before parsing it', () => {
    const huge = `${MINIMAL}# ${'x'.repeat(1024 * 1024)}\n`;
    const [p] = problemsOf(() => labFrom(huge));
    expect(p).toMatchObject({ code: 'SPEC_FILE', location: { line: 1, col: 1 } });
    expect(p!.message).toMatch(/may be at most 1024 KiB/);
  });

  it('says plainly that a document nests too deeply', () => {
    const [p] = problemsOf(() => labFrom(`name: deep\nvms: ${'['.repeat(20000)}${']'.repeat(20000)}\n`));
    expect(p).toMatchObject({
      code: 'SPEC_YAML',
      message: 'YAML: the document nests too deeply',
      location: { line: 2 },
    });
  });

  it('lets a few aliases through: shared NIC settings are a fair use', () => {
    const text = [
      'name: t',
      'nodes:',
      '  a: { cpus: 2, hugepages: &hp { size: 2M, count: 128 }, nics: [{ name: dp0, ip: 10.10.0.2/24 }] }',
      '  b: { cpus: 2, hugepages: *hp, nics: [{ name: dp0, ip: 10.10.1.2/24 }] }',
    ].join('\n');
    expect(labFrom(text).nodes.map((v) => v.hugepagesMiB)).toEqual([256, 256]);
  });
});

describe('the management network', () => {
  it("is off limits to a QEMU VM's data-plane NICs only: a netns VM has no user-mode network", () => {
    const inMgmt = MINIMAL.replace('10.10.0.2/24', '10.0.2.20/24');
    expect(problemsOf(() => labFrom(inMgmt)).map((p) => p.path)).toEqual(['nodes.dut.nics[0].ip']);
    expect(labFrom(inMgmt.replace('cpus: 3', 'cpus: 3\n    kind: netns')).nodes[0]!.nics[0]!.address).toBe('10.0.2.20');
  });
});

function loadLabForce(text: string) {
  return loadLabText(text, 'forced.yaml', { force: true });
}

describe('lcore lists and addresses', () => {
  it('parses and prints DPDK lcore lists', () => {
    expect(parseLcores('1-3,5')).toEqual([1, 2, 3, 5]);
    expect(parseLcores('3-1')).toMatch(/backwards/);
    expect(parseLcores('1,1')).toMatch(/twice/);
    expect(formatLcores([0, 1, 2, 4, 6, 7])).toBe('0-2,4,6-7');
  });

  it('picks the host side of a subnet the guest does not use', () => {
    expect(defaultLabnsIp(parseCidr('10.10.0.2/24')!)).toBe('10.10.0.1');
    expect(defaultLabnsIp(parseCidr('10.10.0.1/24')!)).toBe('10.10.0.2');
    expect(parseCidr('10.10.0.256/24')).toBeUndefined();
  });
});
