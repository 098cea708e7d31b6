// What any DPDK application says of its ports through DPDK's own telemetry (>= 20.05): a unix
// socket per process, /var/run/dpdk/<file prefix>/dpdk_telemetry.v2 for root, that answers
// "/ethdev/list", "/ethdev/info,N", "/ethdev/link_status,N", "/ethdev/stats,N" (with per-queue
// q_ipackets and q_opackets) and "/ethdev/xstats,N" (the PMD's own counters) in JSON. native/telemetry_query asks it where the app runs; the rest
// here is pure: the commands to ask and what the replies mean.
import { join } from 'node:path';
import { LabError } from '../errors.js';
import type { CountersEvent } from './events.js';
import type { AppTarget } from './target.js';

/** The EAL runtime folder of a primary process run by root with --file-prefix. */
export function telemetrySocket(filePrefix: string): string {
  return join('/var/run/dpdk', filePrefix, 'dpdk_telemetry.v2');
}

/** telemetry_query's command line: wait up to waitMs for the socket, then each command. */
export function telemetryArgv(program: string, socket: string, commands: string[], waitMs = 0): string[] {
  return [program, '-w', String(waitMs), socket, ...commands];
}

/** The commands that describe one port. */
export function portCommands(port: number): string[] {
  return [`/ethdev/info,${port}`, `/ethdev/link_status,${port}`, `/ethdev/stats,${port}`, `/ethdev/xstats,${port}`];
}

export interface PortInfo {
  name: string;
  port_id: number;
  dev_started: number;
  nb_rx_queues: number;
  nb_tx_queues: number;
  mac_addr: string;
}

export interface PortStats {
  ipackets: number;
  opackets: number;
  ibytes: number;
  obytes: number;
  imissed: number;
  ierrors: number;
  oerrors: number;
  rx_nombuf: number;
  /** Per RX queue; DPDK fills at most RTE_ETHDEV_QUEUE_STAT_CNTRS (16) of them. */
  q_ipackets: number[];
  q_opackets: number[];
}

export interface PortTelemetry {
  port: number;
  info: PortInfo;
  link: { status: 'UP' | 'DOWN'; speed?: number };
  stats: PortStats;
  /** The PMD's extended counters by name; some PMDs (af_packet) have none. */
  xstats: Record<string, number>;
}

/**
 * telemetry_query's output, one JSON object a line in the order the commands were asked: by the
 * command as asked. DPDK keys each reply by the command without its parameters ({"/ethdev/stats":
 * {...}}), so two ports' replies are told apart by their order only.
 */
export function parseReplies(commands: string[], stdout: string): Map<string, unknown> {
  const lines = stdout.split('\n').filter((l) => l.trim());
  return new Map(
    lines.slice(0, commands.length).map((line, i) => {
      const reply = JSON.parse(line) as Record<string, unknown>;
      return [commands[i]!, Object.values(reply)[0] ?? null];
    }),
  );
}

/** The port ids /ethdev/list answered. */
export function portList(replies: Map<string, unknown>): number[] {
  const ports = replies.get('/ethdev/list');
  return Array.isArray(ports) ? ports.filter((p): p is number => typeof p === 'number') : [];
}

/** One port's replies, or undefined where one is missing (a command the app's DPDK does not know answers null). */
export function portTelemetry(replies: Map<string, unknown>, port: number): PortTelemetry | undefined {
  const [info, link, stats, xstats] = portCommands(port).map((c) => replies.get(c));
  if (!isObject(info) || !isObject(link) || !isObject(stats)) return undefined;
  return {
    port,
    info: info as unknown as PortInfo,
    link: link as unknown as PortTelemetry['link'],
    stats: stats as unknown as PortStats,
    xstats: isObject(xstats) ? (xstats as Record<string, number>) : {},
  };
}

/** Ready, by DPDK's own account: the port is started and its link is up. */
export function portReady(t: PortTelemetry): boolean {
  return t.info.dev_started === 1 && t.link.status === 'UP';
}

/** Packets each of the port's RX queues received: the first nb_rx_queues of q_ipackets. */
export function rxPerQueue(t: PortTelemetry): number[] {
  return t.stats.q_ipackets.slice(0, t.info.nb_rx_queues);
}

/**
 * Frames to a group (multicast or broadcast) address each RX queue received, where the PMD counts
 * them (virtio's rx_q<N>_multicast_packets and rx_q<N>_broadcast_packets); 0 where it does not.
 * No probe frame is one: they are a neighbour's chatter, told apart from the probe's by this.
 */
export function groupFramesPerQueue(t: PortTelemetry): number[] {
  const x = (name: string) => t.xstats[name] ?? 0;
  return Array.from(
    { length: t.info.nb_rx_queues },
    (_, q) => x(`rx_q${q}_multicast_packets`) + x(`rx_q${q}_broadcast_packets`),
  );
}

/**
 * A port's telemetry in the shape of the echo apps' counters line: a queue's rx and tx are the
 * PMD's q_ipackets and q_opackets, and what it counts as filtered the group-addressed frames the PMD
 * saw there. Which lcore polls the queue telemetry cannot tell: -1.
 */
export function countersFromTelemetry(app: string, t: PortTelemetry): CountersEvent {
  const group = groupFramesPerQueue(t);
  const queues = Array.from({ length: t.info.nb_rx_queues }, (_, q) => ({
    queue: q,
    lcore: -1,
    rx: t.stats.q_ipackets[q] ?? 0,
    tx: t.stats.q_opackets[q] ?? 0,
    dropped: 0,
    filtered: group[q]!,
  }));
  return {
    event: 'stats',
    app,
    port: t.port,
    queues,
    total: {
      rx: t.stats.ipackets,
      tx: t.stats.opackets,
      dropped: t.stats.oerrors,
      filtered: group.reduce((a, b) => a + b, 0),
    },
    port_stats: Object.fromEntries(
      Object.entries(t.stats).filter((e): e is [string, number] => typeof e[1] === 'number'),
    ),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exit codes of telemetry_query: the socket is not there or refuses; the app accepted but did not answer. */
const NO_SOCKET = 1;
const NO_ANSWER = 4;

/** The app has no telemetry socket (yet: EAL may still be starting; or never: --no-telemetry). */
export class NoTelemetrySocket extends LabError {}

/** Asks the app's telemetry where it runs; the replies by command. */
export async function askTelemetry(
  target: Pick<AppTarget, 'exec' | 'telemetryQuery' | 'where'>,
  filePrefix: string,
  commands: string[],
  waitMs = 0,
): Promise<Map<string, unknown>> {
  const socket = telemetrySocket(filePrefix);
  const r = await target.exec(telemetryArgv(target.telemetryQuery, socket, commands, waitMs), waitMs + 30_000);
  if (r.exitCode === NO_SOCKET)
    throw new NoTelemetrySocket({
      code: 'PROCESS',
      message: `the app has no telemetry socket at ${socket} (${target.where})`,
      hint: "lab reads every app's ports through DPDK's telemetry: remove --no-telemetry from its EAL arguments, and give it --file-prefix as lab does.",
    });
  if (r.exitCode === NO_ANSWER)
    throw new LabError({
      code: 'TIMEOUT',
      message: `the app's telemetry did not answer within 5 s (${socket}, ${target.where}): the app is stopped or hung`,
    });
  if (r.exitCode !== 0)
    throw new LabError({
      code: 'PROCESS',
      message: `asking the app's telemetry (${socket}, ${target.where}) failed with exit ${r.exitCode}`,
      hint: r.stderr.trim(),
    });
  return parseReplies(commands, r.stdout);
}

/** The counters of the app's first port, from its telemetry. */
export async function telemetryCounters(
  target: Pick<AppTarget, 'exec' | 'telemetryQuery' | 'where'>,
  app: string,
  filePrefix: string,
): Promise<CountersEvent> {
  const [port] = await readPorts(target, filePrefix);
  if (!port)
    throw new LabError({ code: 'PROCESS', message: `app ${app} has no port in its telemetry (${target.where})` });
  return countersFromTelemetry(app, port);
}

/** Every port of the app, as its telemetry describes it. */
export async function readPorts(
  target: Pick<AppTarget, 'exec' | 'telemetryQuery' | 'where'>,
  filePrefix: string,
  waitMs = 0,
): Promise<PortTelemetry[]> {
  const ports = portList(await askTelemetry(target, filePrefix, ['/ethdev/list'], waitMs));
  if (!ports.length) return [];
  const replies = await askTelemetry(target, filePrefix, ports.flatMap(portCommands));
  return ports.flatMap((p) => portTelemetry(replies, p) ?? []);
}
