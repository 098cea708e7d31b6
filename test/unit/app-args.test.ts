// An app's own arguments with lab's placeholders filled for the node it runs on: one spec for a
// namespace and a VM.
import { describe, expect, it } from 'vitest';
import { netnsAppArgv } from '../../src/nodes/netns/apps.js';
import { vmAppArgv } from '../../src/nodes/qemu/apps.js';
import { labFrom } from '../helpers/lab.js';

const spec = (kind: string) => `name: ph
nodes:
  dut:
    kind: ${kind}
    cpus: 3
    nics: [{ name: dp0, queues: 2, ip: 10.10.0.2/24 }]
apps:
  fwd:
    program: custom
    command: dpdk-l2fwd
    node: dut
    nic: dp0
    lcores: "1-2"
    args: [-p, "{portmask}", --dev, "{device}", "--rxq={queues}", "{lcores}", "port{port}", "{literal}x"]
`;
const after = (argv: string[]) => argv.slice(argv.indexOf('--') + 1);

describe("an app's args", () => {
  it('are filled for a netns node: the device is the vdev string, and a custom app gets no -p 0 of its own', () => {
    const lab = labFrom(spec('netns').replace('"{literal}x"', '"x"'));
    const { argv } = netnsAppArgv(lab, lab.apps[0]!, [lab.nodes[0]!.nics[0]!], '/bin', 2);
    expect(after(argv)).toEqual([
      '-p',
      '0x1',
      '--dev',
      'net_af_packet0,iface=dp0,qpairs=2',
      '--rxq=2',
      '1-2',
      'port0',
      'x',
    ]);
  });

  it("are filled for a QEMU node: the device is the NIC's PCI address", () => {
    const lab = labFrom(spec('qemu').replace('"{literal}x"', '"x"'));
    const { argv } = vmAppArgv(lab, lab.apps[0]!, [lab.nodes[0]!.nics[0]!], ['0000:00:03.0']);
    expect(after(argv)).toEqual(['-p', '0x1', '--dev', '0000:00:03.0', '--rxq=2', '1-2', 'port0', 'x']);
    expect(argv.slice(argv.indexOf('-a'), argv.indexOf('-a') + 2)).toEqual(['-a', '0000:00:03.0']);
  });

  it('number two ports as DPDK will: vdevs in the order given, PCI functions by address, the mask of both', () => {
    const two = (kind: string) =>
      labFrom(
        spec(kind)
          .replace('"{literal}x"', '"{port}"')
          .replace(
            'nics: [{ name: dp0, queues: 2, ip: 10.10.0.2/24 }]',
            'nics: [{ name: dp0, ip: 10.10.0.2/24 }, { name: dp1, ip: 10.10.1.2/24 }]',
          )
          .replace('nic: dp0', 'nics: [dp1, dp0]\n    does: forward'),
      );
    const ns = two('netns');
    const [a, b] = ['dp1', 'dp0'].map((n) => ns.nodes[0]!.nics.find((x) => x.name === n)!);
    const netns = netnsAppArgv(ns, ns.apps[0]!, [a!, b!], '/bin', 2);
    expect(netns.ports).toEqual([
      { nic: 'dp1', device: 'net_af_packet0,iface=dp1,qpairs=1', port: 0 },
      { nic: 'dp0', device: 'net_af_packet1,iface=dp0,qpairs=1', port: 1 },
    ]);
    expect(netns.argv.filter((x, i) => netns.argv[i - 1] === '--vdev')).toEqual(netns.ports.map((p) => p.device));
    expect(after(netns.argv).slice(0, 2)).toEqual(['-p', '0x3']);

    const vm = two('qemu');
    // dp1 sits at the lower address: it is port 0 whatever the order of -a.
    const q = vmAppArgv(vm, vm.apps[0]!, [a!, b!], ['0000:00:05.0', '0000:00:04.0']);
    expect(q.ports.map((p) => [p.nic, p.port])).toEqual([
      ['dp1', 1],
      ['dp0', 0],
    ]);
    expect(after(q.argv).at(-1)).toBe('1');
  });

  it('refuse a placeholder lab does not fill, at its place in the spec', () => {
    expect(() => labFrom(spec('netns'))).toThrow(/args\[7\].*\{literal\} is not a placeholder lab fills/s);
  });
});
