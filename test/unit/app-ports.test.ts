// An app's ports in the spec: one NIC for an echo, two for a forward, each one of its node's; a
// wrong one is a spec error at its line and column, with what to write instead.
import { describe, expect, it } from 'vitest';
import { TESTPMD_MODES } from '../../src/config/lab.js';
import { labFrom, problemsOf } from '../helpers/lab.js';

const spec = (nics: string, app: string) => `name: ports
nodes:
  dut:
    kind: netns
    cpus: 2
    nics: ${nics}
apps:
  fwd:
    node: dut
${app}
`;
const ONE = '[{ name: dp0, ip: 10.10.0.2/24 }]';
const TWO = '[{ name: dp0, ip: 10.10.0.2/24 }, { name: dp1, ip: 10.10.1.2/24 }]';
const CUSTOM = '    program: custom\n    command: dpdk-l2fwd\n';

const problem = (nics: string, app: string) => {
  const [p, ...more] = problemsOf(() => labFrom(spec(nics, app), 'ports.yaml'));
  expect(more).toEqual([]);
  return p!;
};

describe("an app's ports", () => {
  it('two ports on a node with one NIC: a spec error at the app, saying to add a NIC', () => {
    const p = problem(ONE, `${CUSTOM}    nic: dp0\n    does: forward`);
    expect(p).toMatchObject({ path: 'apps.fwd.nic', location: { line: 12 } });
    expect(p.message).toBe(
      'an app that forwards takes frames in on one port and out of another: it needs two NICs, and fwd names 1',
    );
    expect(p.hint).toContain('Node dut has one NIC (dp0): add a second');
  });

  it('a NIC the node does not have, named in nics, is an error at its place in the list', () => {
    const p = problem(TWO, `${CUSTOM}    nics: [dp0, dp9]\n    does: forward`);
    expect(p).toMatchObject({ path: 'apps.fwd.nics[1]', message: 'node dut has no NIC "dp9"' });
    expect(p.location).toMatchObject({ line: 12 });
  });

  it("nic and nics both, or neither; lab's echo apps told to forward; an echo on two NICs; a rewrite on an echo", () => {
    expect(problem(TWO, `${CUSTOM}    nic: dp0\n    nics: [dp0, dp1]`).message).toBe(
      'give nic (one port) or nics (a port each), not both',
    );
    expect(problem(TWO, CUSTOM.trimEnd()).message).toBe(
      'app fwd names no NIC: give nic (one port) or nics (a port each)',
    );
    expect(problem(TWO, '    program: l2_echo\n    nics: [dp0, dp1]\n    does: forward').message).toContain(
      'l2_echo echoes frames back out of the port they came in on; it does not forward',
    );
    expect(problem(TWO, `${CUSTOM}    nics: [dp0, dp1]`).path).toBe('apps.fwd.nics');
    expect(problem(TWO, `${CUSTOM}    nic: dp0\n    rewrite: l2fwd`).path).toBe('apps.fwd.rewrite');
  });

  it("testpmd's forward mode says what it does; it needs a main lcore and one that forwards", () => {
    const lab = labFrom(spec(TWO, '    program: testpmd\n    forward_mode: mac\n    nics: [dp0, dp1]'));
    expect(lab.apps[0]).toMatchObject({ does: 'forward', rewrite: 'l2fwd', lcoreList: '0-1' });
    expect(TESTPMD_MODES.macswap.does).toBe('echo');
    expect(problem(TWO, '    program: testpmd\n    nic: dp0\n    lcores: "1"').message).toContain(
      'testpmd forwards on the lcores after its main one: it needs at least two',
    );
  });
});
