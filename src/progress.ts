// How long work reports what it is doing. The core and the drivers only ever see this interface;
// the CLI hands in one that prints to stderr, a benchmark one that keeps quiet.

export interface Reporter {
  /** Runs one step of long work: says what it does, then how long it took or that it failed. */
  step<T>(label: string, fn: () => Promise<T>): Promise<T>;
  /** A line that stays: something the user should read (a fallback taken, a retry, a file kept). */
  note(message: string): void;
  /**
   * Where the step this is called within has got to ("412/980 unpacked", "[120/1830] ETA 14 min"):
   * each replaces the last, so call it as often as the work moves on; the reporter decides how
   * often it is shown.
   */
  progress(message: string): void;
}

export const quiet: Reporter = {
  step: (_label, fn) => fn(),
  note: () => undefined,
  progress: () => undefined,
};
