// Links between nodes and the tester, from the spec to the resolved lab and the drawn graph: pure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'ts-graphviz/ast';
import { describe, expect, it } from 'vitest';
import { loadLab, loadLabText } from '../../src/core/load.js';
import { graphDot, graphMermaid, topologyOf } from '../../src/render/graph.js';
import { netnsNicCommands, tapCommands } from '../../src/render/hostnet.js';
import { relayArgv } from '../../src/wires/relay/process.js';
import { bridgeCommands, farEndCommands, rewireCommands } from '../../src/wires/registry.js';
import { vethLinkCommands } from '../../src/wires/veth/veth.js';
import type { Nic } from '../../src/config/lab.js';

/** A netns node's NIC as lab up makes it: its veth, then its far end on its wire. */
const netnsNicPlan = (labNs: string, nodeNs: string, nic: Nic) => [
  ...netnsNicCommands(labNs, nodeNs, nic),
  ...farEndCommands(labNs, nic),
];
/** A QEMU node's NIC as lab up makes it: its tap, then its far end on its wire. */
const tapPlan = (labNs: string, nic: Nic) => [...tapCommands(labNs, nic), ...farEndCommands(labNs, nic)];
import { problemsOf, ROOT } from '../helpers/lab.js';

const chain = () => loadLab(join(ROOT, 'examples/chain-netns.yaml'));

describe('impaired wires', () => {
  const impaired = () => loadLab(join(ROOT, 'examples/impaired-netns.yaml'));

  it("are carried by a relay between the far ends in the lab namespace, named as the wire, with the spec's impairment and defaults", () => {
    const lab = impaired();
    expect(lab.relays).toEqual([
      {
        name: 'lk0',
        label: 'links[0] tst.eth0 ⇄ dut.dp0',
        at: ['links', 0, 'impair'],
        ports: [
          { node: 'tst', nic: 'eth0' },
          { node: 'dut', nic: 'dp0' },
        ],
        impair: { delay_us: 200, jitter_us: 0, loss: 5, rate_mbit: 0 },
      },
    ]);
    const [tst, dut] = [lab.nodes[0]!.nics[0]!, lab.nodes[1]!.nics[0]!];
    expect([tst.wire, dut.wire]).toEqual([
      { kind: 'relay', relay: 'lk0' },
      { kind: 'relay', relay: 'lk0' },
    ]);
    // Each end is a veth from the lab namespace, up, with no address and no bridge: the relay's port.
    expect(netnsNicPlan('lab-x', 'lab-x-dut', dut).map((a) => a.join(' '))).toContain(
      'ip -n lab-x link set dut-dp0 up',
    );
    expect(
      netnsNicPlan('lab-x', 'lab-x-dut', dut)
        .map((a) => a.join(' '))
        .join('\n'),
    ).not.toMatch(/lab-x addr|master/);
    expect(rewireCommands('lab-x', dut).map((a) => a.join(' '))).toEqual([
      'ip -n lab-x addr flush dev dut-dp0',
      'ip -n lab-x link set dut-dp0 nomaster',
      'ip -n lab-x link set dut-dp0 up',
    ]);
  });

  it('stay relayed when an end is a QEMU VM, and a network with impair is one relay over all its members', () => {
    const text = readFileSync(join(ROOT, 'lab.yaml'), 'utf8')
      .replace(
        /^apps:/m,
        '  tst:\n    kind: netns\n    nics: [{ name: eth0, ip: 10.10.0.1/24 }]\nnetworks:\n  lan: { members: [tst.eth0, dut.dp0], impair: { rate_mbit: 100 } }\napps:',
      )
      .replace(/^verify:\n/m, 'verify:\n  from: tst\n');
    const lab = loadLabText(text, 'mixed.yaml');
    expect(lab.nodes[0]!.nics[0]!.wire).toEqual({ kind: 'relay', relay: 'br-lan' });
    expect(lab.relays.map((r) => [r.name, r.label, r.ports.length, r.impair.rate_mbit])).toEqual([
      ['br-lan', 'network lan', 2, 100],
    ]);
    expect(tapPlan('lab-x', lab.nodes[0]!.nics[0]!).map((a) => a.join(' '))[1]).toBe('ip -n lab-x link set dut-dp0 up');
  });

  it('start l2impair in the lab namespace with every port, the impairment, and a pidfile it writes itself, keeping only raw sockets and real-time', () => {
    const argv = relayArgv(
      'lab-x',
      '/b/l2impair',
      ['tst-eth0', 'dut-dp0'],
      { delay_us: 200, jitter_us: 10, loss: 5, rate_mbit: 0 },
      '/s/lk0.pid',
    );
    const caps = '-all,+net_raw,+sys_nice';
    expect(argv.join(' ')).toBe(
      `ip netns exec lab-x setpriv --bounding-set=${caps} --inh-caps=${caps} --ambient-caps=${caps} --no-new-privs -- /b/l2impair -i tst-eth0 -i dut-dp0 --delay-us 200 --jitter-us 10 --loss 5 --pidfile /s/lk0.pid`,
    );
    expect(relayArgv('lab-x', 'l', ['a', 'b'], { delay_us: 0, jitter_us: 0, loss: 0, rate_mbit: 2.5 }, 'p')).toContain(
      '2.5',
    );
    // With the kernel's real-time throttling off, no SCHED_FIFO: a busy loop could hold a CPU for good.
    expect(
      relayArgv('lab-x', 'l', ['a', 'b'], { delay_us: 0, jitter_us: 0, loss: 0, rate_mbit: 0 }, 'p', false).join(' '),
    ).toContain('--rt-priority 0 --pidfile p');
  });
});

describe('links', () => {
  it('give each linked NIC the NIC at the other end, and leave every other NIC on its own wire', () => {
    const lab = chain();
    const nic = (node: string, name: string) =>
      lab.nodes.find((v) => v.name === node)!.nics.find((n) => n.name === name)!;
    expect(nic('tst', 'eth0').peer).toEqual({ kind: 'nic', node: 'dut', nic: 'dp0', link: 0, impaired: false });
    expect(nic('dut', 'dp0').peer).toEqual({ kind: 'nic', node: 'tst', nic: 'eth0', link: 0, impaired: false });
    expect(nic('far', 'eth0').peer).toEqual({ kind: 'nic', node: 'dut', nic: 'dp1', link: 1, impaired: false });
    const own = loadLab(join(ROOT, 'examples/netns.yaml'));
    expect(own.nodes[0]!.nics[0]!.peer).toEqual({ kind: 'labns' });
  });

  it("are one veth pair between the two node namespaces, each end with its NIC's name, MAC and address", () => {
    const lab = chain();
    const [tst, dut] = [lab.nodes[0]!.nics[0]!, lab.nodes[1]!.nics[0]!];
    const plan = vethLinkCommands({ netns: 'lab-chain-tst', nic: tst }, { netns: 'lab-chain-dut', nic: dut }).map((a) =>
      a.join(' '),
    );
    expect(plan[0]).toBe('ip link add eth0 netns lab-chain-tst type veth peer name dp0 netns lab-chain-dut');
    expect(plan).toContain(`ip -n lab-chain-dut link set dp0 address ${dut.mac}`);
    expect(plan).toContain('ip -n lab-chain-tst addr replace 10.31.0.1/24 dev eth0');
  });

  it('are a bridge in the lab namespace when an end is a QEMU VM, whose tap joins it with no address', () => {
    const text = readFileSync(join(ROOT, 'lab.yaml'), 'utf8')
      .replace(
        /^apps:/m,
        '  tst:\n    kind: netns\n    nics: [{ name: eth0, ip: 10.10.0.1/24 }]\nlinks:\n  - endpoints: [tst.eth0, dut.dp0]\napps:',
      )
      .replace(/^verify:\n/m, 'verify:\n  from: tst\n');
    const lab = loadLabText(text, 'mixed.yaml');
    const [dut, tst] = [lab.nodes[0]!.nics[0]!, lab.nodes[1]!.nics[0]!];
    expect([dut.wire, tst.wire]).toEqual([
      { kind: 'bridge', bridge: 'lk0' },
      { kind: 'bridge', bridge: 'lk0' },
    ]);
    expect(tapPlan('lab-x', dut).map((a) => a.join(' '))).toEqual([
      'ip -n lab-x tuntap add dev dut-dp0 mode tap multi_queue',
      'ip -n lab-x link set dut-dp0 master lk0 up',
    ]);
    expect(chain().nodes[0]!.nics[0]!.wire, 'two netns nodes: a veth pair').toEqual({ kind: 'veth' });
  });

  it('a lab namespace tester cannot reach an app whose NIC is linked to a node', () => {
    const text = readFileSync(join(ROOT, 'examples/chain-netns.yaml'), 'utf8').replace('  from: tst\n', '');
    const [p] = problemsOf(() => loadLabText(text, 'chain.yaml'));
    expect(p).toMatchObject({ path: 'apps.l2_multi_echo.nic' });
    expect(p!.message).toBe('dut.dp0 is linked to tst.eth0, so the lab namespace has no wire to it');
    expect(p!.hint).toContain('verify: { from: tst }');
  });
});

describe('networks', () => {
  const lan = () => loadLab(join(ROOT, 'examples/lan-netns.yaml'));

  it('put each member NIC on the network, whose bridge is named for it', () => {
    const lab = lan();
    expect(lab.networks).toEqual([
      {
        name: 'lan',
        bridge: 'br-lan',
        members: [
          { node: 'tst', nic: 'eth0' },
          { node: 'dut', nic: 'dp0' },
          { node: 'obs', nic: 'eth0' },
        ],
      },
    ]);
    expect(lab.nodes.map((v) => v.nics[0]!.peer)).toEqual(
      Array(3).fill({ kind: 'network', network: 'lan', bridge: 'br-lan', impaired: false }),
    );
  });

  it("are a bridge with no STP, no forward delay and an hour of MAC learning; a member's veth end there is a port with no address", () => {
    const lab = lan();
    expect(bridgeCommands('lab-lan', 'br-lan').map((a) => a.join(' '))).toEqual([
      'ip -n lab-lan link add br-lan type bridge stp_state 0 forward_delay 0 ageing_time 360000',
      'ip -n lab-lan link set br-lan up',
    ]);
    const plan = netnsNicPlan('lab-lan', 'lab-lan-dut', lab.nodes[1]!.nics[0]!).map((a) => a.join(' '));
    expect(plan).toContain('ip -n lab-lan link set dut-dp0 master br-lan up');
    expect(plan.some((c) => c.startsWith('ip -n lab-lan addr'))).toBe(false);
  });

  it('draw as a node of their own, with a line from each member', () => {
    const g = topologyOf(lan());
    expect(g.nodes[0]).toMatchObject({ id: 'net-lan', kind: 'network', bridge: 'br-lan' });
    expect(g.wires.map((w) => [w.kind, w.ends[0].node, w.ends[1].node])).toEqual([
      ['network', 'tst', 'net-lan'],
      ['network', 'dut', 'net-lan'],
      ['network', 'obs', 'net-lan'],
    ]);
    expect(graphMermaid(g)).toContain('n_dut ---|"dp0 10.41.0.2/24"| n_net_lan');
  });
});

describe('lab graph', () => {
  it('draws nodes with kind, CPUs, NICs and apps, and each link once with both ends and addresses', () => {
    const g = topologyOf(chain());
    expect(g.nodes.map((n) => n.id)).toEqual(['tst', 'dut', 'far']);
    expect(g.tester).toBe('tst');
    expect(g.wires).toEqual([
      {
        kind: 'link',
        index: 0,
        ends: [
          { node: 'tst', ifname: 'eth0', ip: '10.31.0.1/24' },
          { node: 'dut', ifname: 'dp0', ip: '10.31.0.2/24' },
        ],
      },
      {
        kind: 'link',
        index: 1,
        ends: [
          { node: 'dut', ifname: 'dp1', ip: '10.32.0.1/24' },
          { node: 'far', ifname: 'eth0', ip: '10.32.0.2/24' },
        ],
      },
    ]);
    expect(g.nodes[1]).toMatchObject({
      kind: 'netns',
      cpus: 2,
      apps: [{ name: 'l2_multi_echo', program: 'l2_multi_echo', nic: 'dp0', lcores: '0-1' }],
    });
  });

  it('puts the lab namespace in the picture when a NIC has its own wire there', () => {
    const g = topologyOf(loadLab(join(ROOT, 'lab.yaml')));
    expect(g.nodes[0]).toMatchObject({ id: 'labns', kind: 'lab namespace' });
    expect(g.wires.every((w) => w.kind === 'own' && w.ends[1].node === 'labns')).toBe(true);
  });

  it('writes DOT that a DOT parser reads back: every node and every wire', () => {
    const ast = parse(graphDot(topologyOf(chain())));
    const text = JSON.stringify(ast);
    for (const id of ['tst', 'dut', 'far']) expect(text).toContain(`"value":"${id}"`);
    const edges = JSON.stringify(ast).match(/"type":"Edge"/g) ?? [];
    expect(edges).toHaveLength(2);
  });

  it('writes a Mermaid flowchart with a box per node and a labelled line per wire', () => {
    const m = graphMermaid(topologyOf(chain()));
    expect(m.split('\n')[0]).toBe('graph LR');
    expect(m).toContain('n_tst ---|"eth0 10.31.0.1/24 ⇄ dp0 10.31.0.2/24"| n_dut');
    expect(m).toContain(
      'n_dut["dut (netns, 2 CPUs)<br/>dp0 10.31.0.2/24 ×2q<br/>dp1 10.32.0.1/24 ×1q<br/>app l2_multi_echo: l2_multi_echo on dut.dp0, lcores 0-1"]',
    );
  });
});

describe('interface names in the lab namespace', () => {
  const spec = (nodes: Record<string, string[]>) =>
    loadLabText(
      `name: names\nnodes:\n${Object.entries(nodes)
        .map(
          ([node, nics], i) =>
            `  ${node}:\n    kind: netns\n    nics:\n${nics.map((n, j) => `      - { name: ${n}, ip: 10.${i}.${j}.2/24 }`).join('\n')}`,
        )
        .join('\n')}\n`,
      join(ROOT, 'names.yaml'),
    );
  const ifOf = (lab: ReturnType<typeof spec>, node: string, nic: string) =>
    lab.nodes.find((n) => n.name === node)!.nics.find((n) => n.name === nic)!.labnsIf;

  it('are <node>-<nic> where that fits in 15 characters, as before', () => {
    expect(ifOf(spec({ dut: ['dp0'] }), 'dut', 'dp0')).toBe('dut-dp0');
  });

  it('are at most 15 characters for 32-character nodes and 15-character NICs, distinct, and the same on every load', () => {
    const nodes = { trafficgen01: ['port0-uplink'], 'dut-left-side': ['port0-uplink', 'port1-uplink'] };
    const names = [
      ifOf(spec(nodes), 'trafficgen01', 'port0-uplink'),
      ifOf(spec(nodes), 'dut-left-side', 'port0-uplink'),
      ifOf(spec(nodes), 'dut-left-side', 'port1-uplink'),
    ];
    for (const n of names) expect(n).toMatch(/^[a-z0-9-]{1,15}$/);
    expect(new Set(names).size).toBe(3);
    expect(names[0]).toMatch(/^trafficg-[0-9a-f]{6}$/);
    expect(ifOf(spec(nodes), 'dut-left-side', 'port0-uplink')).toBe(names[1]);
    expect(ifOf(spec({ ['n'.repeat(32)]: ['p'.repeat(15)] }), 'n'.repeat(32), 'p'.repeat(15))).toHaveLength(15);
  });

  it('are hashed when two plain names would be alike, or one would be a bridge', () => {
    const alike = spec({ 'a-b': ['c'], a: ['b-c'] });
    expect(ifOf(alike, 'a-b', 'c')).not.toBe(ifOf(alike, 'a', 'b-c'));
    expect(ifOf(alike, 'a-b', 'c')).not.toBe('a-b-c');
    const bridged = loadLabText(
      [
        'name: names',
        'nodes:',
        '  br: { kind: netns, nics: [{ name: lan, ip: 10.0.0.2/24 }] }',
        '  a: { kind: netns, nics: [{ name: dp0, ip: 10.1.0.2/24 }] }',
        '  b: { kind: netns, nics: [{ name: dp0, ip: 10.1.0.3/24 }] }',
        'networks:',
        '  lan: { members: [a.dp0, b.dp0] }',
      ].join('\n'),
      join(ROOT, 'names.yaml'),
    );
    expect(ifOf(bridged, 'br', 'lan')).toMatch(/^br-lan-[0-9a-f]{6}$/);
  });
});
