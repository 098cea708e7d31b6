// How long work reports what it is doing. The core and the drivers only ever see this interface;
// the CLI hands in one that prints to stderr, a benchmark one that keeps quiet.

export interface Reporter {
  /** Runs one step of long work: says what it does, then how long it took or that it failed. */
  step<T>(label: string, fn: () => Promise<T>): Promise<T>;
  /** A line of progress within a step (a download's percentage, a VM still booting). */
  note(message: string): void;
}

export const quiet: Reporter = {
  step: (_label, fn) => fn(),
  note: () => undefined,
};
