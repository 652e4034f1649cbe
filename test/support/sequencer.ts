// The order files start in. vitest's own order runs the projects by name (constructs, integration, pack, unit),
// so on a fresh clone the pack test (about two minutes of npm installs, mostly waiting on the network) started
// last and ran alone at the end. Here the files known to take longest start first, so they overlap the rest;
// within each group vitest's order (earlier durations, then size) stands.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Path fragments of the files that take longest on their own, slowest first (TEST_CPU_PROFILE shows them). */
// From the fresh-clone run's per-file times (386 s run): engine-blockers (60 s, mostly waiting on lock timeouts on
// purpose) started late and ran alone for the last half minute.
const LONGEST_FIRST = [
  'test/pack/', 'test/integration/readers.', 'test/integration/engine-blockers.', 'test/integration/rolemodel-drift.',
  'test/integration/db-admin.', 'test/security/lock.', 'test/security/db-admin-drift.', 'test/docs/shell-blocks.',
  'test/security/revoke-wins.', 'test/integration/firefighter-password-drift.', 'test/constructs/deploy-e2e.',
];

const rank = (spec: TestSpecification): number => {
  const at = LONGEST_FIRST.findIndex((part) => spec.moduleId.includes(part));
  return at === -1 ? LONGEST_FIRST.length : at;
};

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Array.prototype.sort is stable: files of equal rank keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
