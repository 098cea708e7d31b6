// The rss check holds the queues' counts to what the probe sent. The tester here is a stand-in that
// answers as l2probe would (a unit test: no wire); the app's counters are given.
import { describe, expect, it } from 'vitest';
import type { CountersEvent } from '../../src/apps/events.js';
import { loadLabText } from '../../src/core/load.js';
import { verifyApp, type VerifySubject } from '../../src/verify/checks.js';
import { cleanProbe, MINIMAL } from '../helpers/lab.js';

const spec = { ...loadLabText(MINIMAL, 't.yaml').verify, checks: ['rss' as const] };

/** l2probe's answer for a run in which every one of `sent` frames came back. */
const probeResult = (sent: number) => JSON.stringify(cleanProbe(sent));

function counters(queues: Array<{ rx: number; filtered: number }>): CountersEvent {
  const q = queues.map((x, queue) => ({
    queue,
    lcore: queue + 1,
    rx: x.rx,
    tx: x.rx - x.filtered,
    dropped: 0,
    filtered: x.filtered,
  }));
  const sum = (k: 'rx' | 'tx' | 'dropped' | 'filtered') => q.reduce((a, x) => a + x[k], 0);
  return {
    event: 'stats',
    app: 'l2_multi_echo',
    port: 0,
    queues: q,
    total: { rx: sum('rx'), tx: sum('tx'), dropped: sum('dropped'), filtered: sum('filtered') },
    port_stats: {},
  };
}

function subject(after: CountersEvent, delivered?: number): VerifySubject {
  const reads = [
    counters([
      { rx: 0, filtered: 0 },
      { rx: 0, filtered: 0 },
    ]),
    after,
  ];
  const nic = { address: '10.10.0.2', mac: '52:54:00:12:34:56', peerIf: 'dut-dp0', peerIp: '10.10.0.1' };
  return {
    app: { name: 'multi', program: 'l2_multi_echo', does: 'echo', rewrite: 'none' },
    nic,
    ends: [{ ...nic, name: 'dp0', port: 0 }],
    ports: async () => [],
    tester: { exec: async () => ({ stdout: probeResult(2000), stderr: '', exitCode: 0 }), l2probe: 'l2probe' },
    counters: async () => reads.shift()!,
    stop: async () => ({ how: 'exited' }),
    ...(delivered === undefined
      ? {}
      : {
          wire: {
            delivered: (() => {
              let n = 0;
              return async () => (n++ === 0 ? 0 : delivered);
            })(),
          },
        }),
  };
}

describe('the rss check', () => {
  it("passes when the queues took exactly the frames sent, besides group-addressed ones the tester's kernel sent meanwhile", async () => {
    const [rss] = await verifyApp(
      subject(
        counters([
          { rx: 1313, filtered: 1 },
          { rx: 688, filtered: 0 },
        ]),
      ),
      spec,
    );
    expect(rss).toMatchObject({ check: 'rss', status: 'passed' });
    expect(rss!.measured).toBe(
      '2/2 queues received traffic (need 2): 1312 + 688 = 2000, l2probe sent 2000 (besides 1 group-addressed frame(s) not from the probe)',
    );
  });

  it('fails when a unicast frame more or less than was sent reached the queues', async () => {
    const [more] = await verifyApp(
      subject(
        counters([
          { rx: 1313, filtered: 0 },
          { rx: 688, filtered: 0 },
        ]),
      ),
      spec,
    );
    expect(more).toMatchObject({
      status: 'failed',
      measured: expect.stringContaining('1313 + 688 = 2001, l2probe sent 2000'),
    });
    const [fewer] = await verifyApp(
      subject(
        counters([
          { rx: 1312, filtered: 0 },
          { rx: 687, filtered: 0 },
        ]),
      ),
      spec,
    );
    expect(fewer!.status).toBe('failed');
  });

  it('fails when a queue took only group-addressed frames: it was not fed by the probe', async () => {
    const [rss] = await verifyApp(
      subject(
        counters([
          { rx: 2000, filtered: 0 },
          { rx: 3, filtered: 3 },
        ]),
      ),
      spec,
    );
    expect(rss).toMatchObject({ status: 'failed', measured: expect.stringMatching(/^1\/2 queues received traffic/) });
  });

  it('on an impaired wire, holds every frame the queues took to what the wire passed on', async () => {
    const [rss] = await verifyApp(
      subject(
        counters([
          { rx: 900, filtered: 1 },
          { rx: 901, filtered: 0 },
        ]),
        1801,
      ),
      spec,
    );
    expect(rss).toMatchObject({
      status: 'passed',
      measured: expect.stringContaining('900 + 901 = 1801, l2probe sent 2000, the impaired wire delivered 1801'),
    });
  });
});
