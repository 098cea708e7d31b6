// DPDK lcore lists (-l 1-2,4): parse and print.

/** The lcore ids of a list such as "1-2,4", or a reason it is not one. */
export function parseLcores(text: string): number[] | string {
  const ids: number[] = [];
  for (const part of text.split(',')) {
    const [from, to = from] = part.split('-').map(Number);
    if (from === undefined || to === undefined || Number.isNaN(from) || Number.isNaN(to)) return `"${part}" is not an lcore or a range`;
    if (to < from) return `range ${part} runs backwards`;
    for (let id = from; id <= to; id++) {
      if (ids.includes(id)) return `lcore ${id} is listed twice`;
      ids.push(id);
    }
  }
  return ids;
}

export function formatLcores(ids: number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    runs.push(i === j ? `${ids[i]}` : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return runs.join(',');
}
