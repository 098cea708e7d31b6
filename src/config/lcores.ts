// DPDK lcore lists (-l 1-2,4): parse and print.

/**
 * Highest lcore id a list may name: above any build's RTE_MAX_LCORE and any node's cpus, and low
 * enough that expanding a range costs nothing (a range is bounded before it is expanded).
 */
export const MAX_LCORE_ID = 1023;

/** The lcore ids of a list such as "1-2,4", or a reason it is not one. */
export function parseLcores(text: string): number[] | string {
  const ids: number[] = [];
  const seen = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to = from] = part.split('-').map(Number);
    if (from === undefined || to === undefined || Number.isNaN(from) || Number.isNaN(to))
      return `"${part}" is not an lcore or a range`;
    if (to < from) return `range ${part} runs backwards`;
    if (to > MAX_LCORE_ID)
      return `lcore ${to} is beyond ${MAX_LCORE_ID}, the highest lcore id lab accepts (a node has at most 64 cpus)`;
    for (let id = from; id <= to; id++) {
      if (seen.has(id)) return `lcore ${id} is listed twice`;
      seen.add(id);
      ids.push(id);
    }
  }
  return ids;
}

export function formatLcores(ids: number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    runs.push(i === j ? `${ids[i]}` : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return runs.join(',');
}
