// The CLI as a user meets it: exit codes, file:line:col on stderr, --json on stdout.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { which } from '../../src/host/exec.js';
import { lab, ROOT } from '../helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'lab-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lab CLI', () => {
  it('--help lists every command', () => {
    const r = lab(['--help']);
    expect(r.status).toBe(0);
    for (const cmd of [
      'validate',
      'render',
      'up',
      'run',
      'verify',
      'bench',
      'down',
      'status',
      'ssh',
      'logs',
      'doctor',
      'impair',
      'graph',
      'test',
      'images',
      'migrate',
    ])
      // A line of the command list starts with the command's own name: a word in another command's description does not count.
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd}(?= |$)`, 'm'));
  });

  it('render --target kubevirt --json says what it wrote, where, and for which namespace and image', () => {
    const out = join(work, 'kubevirt-json');
    const r = lab(['render', '--target', 'kubevirt', '--namespace', 'ci-lab', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      namespace: string;
      guestImage: string;
      files: Array<{ file: string; kinds: string[] }>;
    };
    expect(j.namespace).toBe('ci-lab');
    expect(j.guestImage).toMatch(/^localhost\/lab-guest:/);
    expect(j.files.map((f) => [f.file.slice(out.length + 1), f.kinds])).toEqual([
      ['namespace.yaml', ['Namespace']],
      ['networks.yaml', ['NetworkAttachmentDefinition']],
      ['secrets.yaml', ['Secret']],
      ['virtualmachines.yaml', ['VirtualMachine']],
      ['tester.yaml', ['Service', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Secret', 'Job']],
      ['kustomization.yaml', ['Kustomization']],
    ]);
    expect(readFileSync(join(out, 'virtualmachines.yaml'), 'utf8')).toContain('namespace: ci-lab');
  });

  it('render and images export refuse what they cannot do, exit 2, writing nothing', () => {
    const out = join(work, 'refused');
    const cases: Array<[string[], RegExp]> = [
      [['render', '--target', 'kubevirtt', '--out', out], /unknown target kubevirtt[\s\S]*--target kubevirt\?/],
      [['render', '--namespace', 'x', '--out', out], /--namespace is for --target kubevirt/],
      [
        ['render', '--target', 'kubevirt', '-f', 'examples/netns.yaml', '--out', out],
        /nodes\.dut\.kind: .*every node is a VM/,
      ],
      [['images', 'export', 'dutt', '--out', join(out, 'a.tar')], /lab echo has no node dutt[\s\S]*Did you mean dut\?/],
      [['images', 'export', 'dut', '--format', 'qcow2', '--out', join(out, 'a.tar')], /unknown format "qcow2"/],
      [['images', 'export', '--out', join(out, 'a.tar')], /needs a node/],
      [
        ['images', 'export', 'dut', '-f', 'examples/netns.yaml', '--out', join(out, 'a.tar')],
        /netns node: it boots no guest image/,
      ],
      [['images', 'prune', 'dut'], /takes no node/],
    ];
    for (const [args, message] of cases) {
      const r = lab(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('bench refuses a frame size outside 64..1518 before it touches a lab, exit 2', () => {
    const r = lab(['bench', '--sizes', '64,9000']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--sizes: "9000" is not a frame size');
  });

  it('graph writes the topology as DOT and Mermaid; an unknown format is a usage error; svg needs Graphviz', async () => {
    const dot = lab(['graph', '-f', 'examples/chain-netns.yaml', '--format', 'dot']);
    expect(dot.status).toBe(0);
    expect(dot.stdout.split('\n')[0]).toBe('graph "lab chain" {');
    expect(lab(['graph', '-f', 'examples/chain-netns.yaml']).stdout.split('\n')[0]).toBe('graph LR');
    expect(lab(['graph', '-f', 'examples/chain-netns.yaml', '--format', 'png']).status).toBe(2);
    const svg = lab(['graph', '-f', 'examples/chain-netns.yaml', '--format', 'svg']);
    if (await which('dot')) expect(svg.stdout).toContain('<svg');
    else expect([svg.status, svg.stderr]).toEqual([3, expect.stringContaining("needs Graphviz's dot")]);
  }, 30_000);

  it('validate passes on lab.yaml', () => {
    const r = lab(['validate']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('valid lab "echo"');
  });

  it('validate exits 2 with file:line:col and the field path on a bad spec', () => {
    const r = lab(['validate', '-f', 'test/fixtures/bad/multiqueue-pitfall.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('test/fixtures/bad/multiqueue-pitfall.yaml:23:13: apps.multi.lcores:');
    expect(r.stderr).toContain('mq=on');
  });

  it('validate --json gives the problems as data on stdout', () => {
    const r = lab(['validate', '-f', 'test/fixtures/bad/queues-zero.yaml', '--json']);
    expect(r.status).toBe(2);
    const out = JSON.parse(r.stdout) as { ok: boolean; problems: Array<{ path: string; location: { line: number } }> };
    expect(out.ok).toBe(false);
    expect(out.problems[0]).toMatchObject({ path: 'nodes.dut.nics[0].queues', location: { line: 12 } });
  });

  it('validate --force lets the multiqueue pitfall through (to reproduce it on purpose)', () => {
    expect(lab(['validate', '-f', 'test/fixtures/bad/multiqueue-pitfall.yaml', '--force']).status).toBe(0);
  });

  it('a missing spec file is a clear error, exit 2', () => {
    const r = lab(['validate', '-f', join(work, 'nope.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nope.yaml:1:1: cannot read the lab spec: no such file');
  });

  it('an unknown command or option is a usage error, exit 2', () => {
    expect(lab(['bogus']).status).toBe(2);
    expect(lab(['validate', '--no-such-flag']).status).toBe(2);
  });

  it('verify with no app running says what to do, exit 3', () => {
    const spec = join(work, 'idle.yaml');
    writeFileSync(spec, readFileSync(join(ROOT, 'examples/netns.yaml'), 'utf8').replace(/^name: .*/m, 'name: idle'));
    const r = lab(['verify', '-f', spec]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('no app of lab idle is running');
    expect(r.stderr).toContain('lab run l2_echo');
  });
});
