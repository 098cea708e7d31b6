import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

const TIERS = ['unit', 'host', 'vm', 'slow'];
const tier = (spec: TestSpecification) => TIERS.findIndex((t) => spec.moduleId.includes(`/test/${t}/`));

/**
 * The tiers in order, cheapest first, each file in a fixed order: the VM tier comes last, so that a
 * guest image test/run.sh starts making in the background is ready by then.
 */
class TierSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => tier(a) - tier(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

export default defineConfig({
  test: {
    // One file at a time: the host and VM tiers time real packets and share the host's two CPUs.
    fileParallelism: false,
    sequence: { sequencer: TierSequencer },
    // Ours first, so that vitest's own summary is the last thing printed.
    reporters: ['./test/summary-reporter.ts', 'default'],
  },
});
