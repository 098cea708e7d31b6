// lab bench's flags and outputs, and l2probe's search command line: pure, no wire.
import { describe, expect, it } from 'vitest';
import { benchCsv, parseSizes } from '../../src/commands/bench.js';
import type { BenchResult } from '../../src/core/bench-apps.js';
import { problemsOf } from '../helpers/lab.js';
import { l2probeSearchArgv } from '../../src/verify/probe.js';
import { RFC2544_SIZES } from '../../src/verify/throughput.js';

describe('lab bench', () => {
  it('takes RFC 2544 sizes by default, and any list from 64 to 1518 bytes', () => {
    expect(parseSizes(undefined)).toEqual([64, 128, 256, 512, 1024, 1280, 1518]);
    expect(parseSizes('64, 1518,64')).toEqual([64, 1518]);
    expect(parseSizes(256)).toEqual([256]);
  });

  it.each(['60', '1519', '64,abc', '64,,128', '1e3', '-64'])('refuses --sizes %s, naming the bad size', (text) => {
    const [p] = problemsOf(() => parseSizes(text));
    expect(p!.message).toMatch(/^--sizes: ".*" is not a frame size$/);
    expect(p!.hint).toContain(RFC2544_SIZES.join(','));
  });

  it('writes one CSV line per app and size, empty where no rate passed', () => {
    const trial = {
      offered_pps: 0,
      flood: true,
      sent: 1,
      received: 1,
      lost: 0,
      sent_pps: 1,
      echoed_pps: 1,
      rtt_us: { p50: 1, p99: 1 },
      passed: true,
      failed_by: null,
    };
    const r: BenchResult = {
      lab: 'l',
      trial_s: 1,
      loss_tolerance: 0,
      flows: 16,
      apps: [
        {
          app: 'multi',
          node: 'dut',
          program: 'l2_multi_echo',
          does: 'echo',
          rows: [
            {
              frame_size: 64,
              rate_pps: 120000,
              mbps: 61.44,
              rtt_us: { p50: 20.5, p99: 80 },
              limited_by: 'dut',
              trials: [trial, trial],
            },
            { frame_size: 1518, rate_pps: 0, mbps: 0, rtt_us: null, limited_by: 'tester', trials: [trial] },
          ],
        },
      ],
    };
    expect(benchCsv(r)).toBe(
      [
        'app,vm,frame_size,zero_loss_pps,mbit_s,rtt_p50_us,rtt_p99_us,limited_by,trials',
        'multi,dut,64,120000,61.44,20.5,80,dut,2',
        'multi,dut,1518,0,0,,,tester,1',
        '',
      ].join('\n'),
    );
  });
});

describe("l2probe's search command line", () => {
  it('sends frames without FCS and passes the loss tolerance in percent', () => {
    const argv = l2probeSearchArgv('/x/l2probe', {
      iface: 'dut-dp0',
      target: '52:54:00:00:00:01',
      flows: 16,
      size: 60,
      srcIp: '10.0.0.1',
      dstIp: '10.0.0.2',
      trialS: 0.5,
      lossPct: 0.1,
      minPps: 5000,
    });
    expect(argv.join(' ')).toBe(
      '/x/l2probe -i dut-dp0 -t 52:54:00:00:00:01 -k 16 -s 60 --src-ip 10.0.0.1 --dst-ip 10.0.0.2 --search --trial 0.5 --loss-tolerance 0.1 --min-pps 5000',
    );
  });
});
