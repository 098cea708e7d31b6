// The JSON lines the echo apps print: a ready line, counters on request, counters at exit.

export interface QueueCounters {
  queue: number;
  lcore: number;
  rx: number;
  /** Echoed. */
  tx: number;
  /** The TX queue would not take them. */
  dropped: number;
  /** Not echoed: shorter than an Ethernet header, or sent to a group (broadcast or multicast) address. */
  filtered: number;
}

export interface ReadyEvent {
  event: 'ready';
  app: string;
  port: number;
  driver: string;
  mac: string;
  queues: number;
  /** unknown: an app other than lab's, which only says what its telemetry says. */
  rss: 'device' | 'backend' | 'none' | 'unknown';
  /** Whether the port reported link up before the app said it was ready. */
  link: 'up' | 'down';
  /** lcores[q] polls queue q: the -l list's order, which rte_lcore_index follows. */
  lcores: number[];
}

export interface CountersEvent {
  event: 'stats' | 'exit';
  app: string;
  port: number;
  queues: QueueCounters[];
  total: { rx: number; tx: number; dropped: number; filtered: number };
  port_stats: Record<string, number>;
}

export type AppEvent = ReadyEvent | CountersEvent;

/** Every event line in an app's log; anything else there (EAL's chatter) is skipped. */
export function parseEvents(log: string): AppEvent[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{"event":'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as AppEvent];
      } catch {
        return []; // a line still being written
      }
    });
}

export function lastOf<K extends AppEvent['event']>(
  events: AppEvent[],
  kind: K,
): Extract<AppEvent, { event: K }> | undefined {
  return events.filter((e): e is Extract<AppEvent, { event: K }> => e.event === kind).pop();
}

/** Per-queue growth between two counter snapshots. */
export function counterDelta(before: CountersEvent | undefined, after: CountersEvent): QueueCounters[] {
  return after.queues.map((q) => {
    const b = before?.queues.find((x) => x.queue === q.queue);
    return {
      ...q,
      rx: q.rx - (b?.rx ?? 0),
      tx: q.tx - (b?.tx ?? 0),
      dropped: q.dropped - (b?.dropped ?? 0),
      filtered: q.filtered - (b?.filtered ?? 0),
    };
  });
}
