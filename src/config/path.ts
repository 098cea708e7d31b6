// A path into the spec, as the checks name a field and as a person reads it.

export type PathSegment = string | number;

/** nodes.dut.nics[0].queues — the way a person reads a path into their spec. */
export function formatPath(path: PathSegment[]): string {
  return path.reduce<string>(
    (out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg),
    '',
  );
}
