// DPDK's telemetry replies, read: which port is ready and what each queue received.
import { describe, expect, it } from 'vitest';
import {
  countersFromTelemetry,
  parseReplies,
  portCommands,
  portList,
  portReady,
  portTelemetry,
  rxPerQueue,
  telemetryArgv,
  telemetrySocket,
} from '../../src/apps/telemetry.js';
import { portStats } from '../helpers/lab.js';

/** Replies as DPDK 22.11 writes them: each keyed by its command without the parameters. */
const reply = (command: string, value: unknown) => JSON.stringify({ [command]: value });
const info = (port: number, started: number) => ({
  name: `net_af_packet${port}`,
  state: 1,
  nb_rx_queues: 2,
  nb_tx_queues: 2,
  port_id: port,
  mtu: 1500,
  mac_addr: '52:54:00:12:34:57',
  dev_started: started,
});
const stats = (q: number[]) => portStats(q, 0);

describe('DPDK telemetry', () => {
  it("asks the socket in the file prefix's runtime folder, waiting for it to appear", () => {
    expect(telemetrySocket('lab-echo-l2_echo')).toBe('/var/run/dpdk/lab-echo-l2_echo/dpdk_telemetry.v2');
    expect(telemetryArgv('telemetry_query', '/s', ['/ethdev/list'], 500)).toEqual([
      'telemetry_query',
      '-w',
      '500',
      '/s',
      '/ethdev/list',
    ]);
  });

  it("tells two ports' replies apart by their order, and reads readiness and per-queue counts", () => {
    const commands = ['/ethdev/list', ...portCommands(0), ...portCommands(1)];
    const out = [
      reply('/ethdev/list', [0, 1]),
      reply('/ethdev/info', info(0, 1)),
      reply('/ethdev/link_status', { status: 'UP', speed: 10000, duplex: 'full-duplex' }),
      reply('/ethdev/stats', stats([1250, 750])),
      // virtio's per-queue counters of group-addressed frames (a neighbour's IPv6 chatter, say)
      reply('/ethdev/xstats', { rx_good_packets: 2000, rx_q0_multicast_packets: 3, rx_q1_broadcast_packets: 1 }),
      reply('/ethdev/info', info(1, 0)),
      reply('/ethdev/link_status', { status: 'DOWN' }),
      reply('/ethdev/stats', stats([0, 0])),
      reply('/ethdev/xstats', {}),
    ].join('\n');
    const replies = parseReplies(commands, `${out}\n`);
    expect(portList(replies)).toEqual([0, 1]);
    const p0 = portTelemetry(replies, 0)!;
    const p1 = portTelemetry(replies, 1)!;
    expect(portReady(p0)).toBe(true);
    expect(portReady(p1)).toBe(false);
    expect(rxPerQueue(p0)).toEqual([1250, 750]);
    expect(p1.info.port_id).toBe(1);
    const c = countersFromTelemetry('app', p0);
    expect(c.queues.map((q) => [q.rx, q.filtered])).toEqual([
      [1250, 3],
      [750, 1],
    ]);
    expect(c.total).toMatchObject({ rx: 2000, filtered: 4 });
    expect(countersFromTelemetry('app', p1).total.filtered).toBe(0);
  });

  it('has no port where a reply is missing or null (a command the app does not know)', () => {
    const replies = parseReplies(portCommands(0), `${reply('/ethdev/info', null)}\n`);
    expect(portTelemetry(replies, 0)).toBeUndefined();
    expect(portList(parseReplies(['/ethdev/list'], reply('/ethdev/list', null)))).toEqual([]);
  });
});
