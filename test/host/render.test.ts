// lab render through the CLI: it makes the lab's SSH keys and probes the accelerator, so it runs
// in the host tier. Nothing is started.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lab, ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-render-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Rendered {
  nodes: Array<{
    node: string;
    sshPort: number;
    accel: { accel: string; reason: string };
    files: Record<string, string>;
    argv: string[];
  }>;
}

describe('lab render', () => {
  it('--out writes qemu.sh, user-data, meta-data and network-config per VM, and nothing on a bad spec', () => {
    const out = join(work, 'render');
    const r = lab(['render', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as Rendered;
    expect(result.nodes.map((v) => v.node)).toEqual(['dut']);
    for (const f of ['qemu.sh', 'user-data', 'meta-data', 'network-config'])
      expect(readFileSync(join(out, 'nodes', 'dut', f), 'utf8').length).toBeGreaterThan(0);
    expect(result.nodes[0]!.argv).toContain(
      'virtio-net-pci,netdev=dp0,id=dp0-dev,mac=52:54:00:12:34:56,mq=on,vectors=6,iommu_platform=on,disable-legacy=on',
    );
    // A dry run probes nothing: the accelerator is what an earlier probe this boot found, or said unknown.
    expect(result.nodes[0]!.accel.reason).toMatch(
      /^(auto: KVM (works|does not work) \(probed earlier this boot\)|auto: not known until lab up probes KVM; rendered for TCG)$/,
    );

    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, readFileSync(join(ROOT, 'test/fixtures/bad/queues-zero.yaml')));
    const badOut = join(work, 'bad-out');
    expect(lab(['render', '-f', bad, '--out', badOut]).status).toBe(2);
    expect(() => readFileSync(join(badOut, 'nodes', 'dut', 'qemu.sh'))).toThrow();
  });

  it('gives two VMs their own SSH ports, the same ones on every render', () => {
    const spec = join(work, 'two.yaml');
    writeFileSync(
      spec,
      [
        'name: two',
        'nodes:',
        '  a: { cpus: 2, accel: tcg, nics: [{ name: dp0, ip: 10.20.0.2/24 }] }',
        '  b: { cpus: 2, accel: tcg, nics: [{ name: dp0, ip: 10.20.1.2/24 }] }',
      ].join('\n'),
    );
    const render = () => {
      const r = lab(['render', '-f', spec, '--out', join(work, 'two'), '--json']);
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as Rendered).nodes.map((v) => [v.node, v.sshPort]);
    };
    const first = render();
    expect(first).toEqual([
      ['a', 2222],
      ['b', 2223],
    ]);
    expect(render()).toEqual(first);
    expect(readFileSync(join(work, 'two', 'nodes', 'b', 'qemu.sh'), 'utf8')).toContain(
      'hostfwd=tcp:127.0.0.1:2223-:22',
    );
  });
});
