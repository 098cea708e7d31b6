// The forward check of an app that forwards between two ports, judged from what l2probe reports
// each way and what the app's ports' telemetry counted meanwhile. The tester and the telemetry are
// stand-ins that answer as l2probe and DPDK would (a unit test: no wire).
import { describe, expect, it } from 'vitest';
import type { PortTelemetry } from '../../src/apps/telemetry.js';
import { loadLabText } from '../../src/core/load.js';
import { verifyApp, type VerifySubject } from '../../src/verify/checks.js';
import { describeMismatch, rewrittenMacs } from '../../src/verify/forward.js';
import type { L2ProbeResult } from '../../src/verify/probe.js';
import { cleanProbe, MINIMAL, portStats } from '../helpers/lab.js';

const spec = {
  ...loadLabText(MINIMAL, 't.yaml').verify,
  checks: ['echo' as const, 'forward' as const, 'rss' as const],
};
const frames = spec.forward.frames;

function port(port: number, rx: number[], tx: number): PortTelemetry {
  return {
    port,
    info: {
      name: `net_af_packet${port}`,
      port_id: port,
      dev_started: 1,
      nb_rx_queues: rx.length,
      nb_tx_queues: 1,
      mac_addr: '',
    },
    link: { status: 'UP' },
    stats: portStats(rx, tx),
    xstats: {},
  };
}

/** Two ways, each: the telemetry before, l2probe's result, the telemetry after. */
function subject(ways: Array<{ probe: L2ProbeResult; after: PortTelemetry[] }>): VerifySubject & { argvs: string[][] } {
  const reads: PortTelemetry[][] = [];
  let last = [port(0, [0, 0], 0), port(1, [0, 0], 0)];
  for (const w of ways) reads.push(last, (last = w.after));
  const probes = ways.map((w) => w.probe);
  const argvs: string[][] = [];
  const end = (name: string, i: number) => ({
    name,
    address: `10.0.${i}.2`,
    mac: `52:54:00:00:00:0${i}`,
    peerIf: `t-${name}`,
    peerIp: `10.0.${i}.1`,
    port: i,
  });
  const ends = [end('dp0', 0), end('dp1', 1)];
  return {
    app: { name: 'fwd', program: 'custom', does: 'forward', rewrite: 'l2fwd' },
    nic: ends[0]!,
    ends,
    tester: {
      exec: async (argv) => {
        argvs.push(argv);
        return { stdout: JSON.stringify(probes.shift()), stderr: '', exitCode: 0 };
      },
      l2probe: 'l2probe',
    },
    counters: async () => {
      throw new Error('a forward check reads every port, not the first one');
    },
    ports: async () => reads.shift()!,
    stop: async () => ({ how: 'exited' }),
    argvs,
  };
}

describe('the forward check', () => {
  it('sends into each wire in turn and receives from the other, expecting the rewrite the spec declares', async () => {
    const s = subject([
      { probe: cleanProbe(frames), after: [port(0, [600, 400], 0), port(1, [0, 0], frames)] },
      { probe: cleanProbe(frames), after: [port(0, [600, 400], frames), port(1, [500, 500], frames)] },
    ]);
    const checks = await verifyApp(s, spec);
    // echo is not a forwarding app's check: it is left out, not skipped.
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ['forward', 'passed'],
      ['rss', 'passed'],
    ]);
    const flag = (argv: string[], f: string) => argv[argv.indexOf(f) + 1];
    expect(
      s.argvs.map((a) => [flag(a, '-i'), flag(a, '--rx-iface'), flag(a, '--expect-dst'), flag(a, '--expect-src')]),
    ).toEqual([
      ['t-dp0', 't-dp1', '02:00:00:00:00:01', '52:54:00:00:00:01'],
      ['t-dp1', 't-dp0', '02:00:00:00:00:00', '52:54:00:00:00:00'],
    ]);
    expect(checks[1]!.measured).toContain('port 0 (dp0): 2/2 queues received traffic (need 2): 600 + 400 = 1000');
  });

  it("fails on a frame other than declared, naming its first differing byte, and on counts the ports' telemetry does not share", async () => {
    const wrong = {
      ...cleanProbe(frames),
      received: 0,
      lost: frames,
      bad_mac: frames,
      first_mismatch: { seq: 0, offset: 0, expected: 0x02, received: 0x52 },
    };
    const s = subject([
      { probe: wrong, after: [port(0, [frames], 0), port(1, [0], frames)] },
      { probe: cleanProbe(frames), after: [port(0, [frames], frames - 1), port(1, [frames], frames)] },
    ]);
    const [forward] = await verifyApp(s, { ...spec, checks: ['forward'] });
    expect(forward).toMatchObject({ check: 'forward', status: 'failed' });
    expect(forward!.measured).toContain(
      'first differing byte: frame 0, byte 0 (destination MAC), expected 0x02, got 0x52',
    );
    expect(forward!.measured).toContain(`port 0 (dp0) sent ${frames - 1} by its telemetry, ${frames} arrived`);
  });
});

describe('forwarded frames', () => {
  it("carry l2fwd's MACs: the out port's own as the source, 02:00:00:00:00:<out port> as the destination", () => {
    expect(rewrittenMacs('l2fwd', { mac: '52:54:00:12:34:56', port: 10 })).toEqual({
      expectSrc: '52:54:00:12:34:56',
      expectDst: '02:00:00:00:00:0a',
    });
    expect(rewrittenMacs('none', { mac: '52:54:00:12:34:56', port: 1 })).toEqual({});
  });

  it('name the field a differing byte sits in, and a frame that ended early', () => {
    expect(describeMismatch({ seq: 7, offset: 23, expected: 64, received: 63 })).toBe(
      'first differing byte: frame 7, byte 23 (IPv4 header), expected 0x40, got 0x3f',
    );
    expect(describeMismatch({ seq: 1, offset: 100, expected: 1, received: -1 })).toContain(
      'byte 100 (payload), expected 0x01, the frame ended there',
    );
  });
});
