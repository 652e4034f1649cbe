import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/sequencer.js';

// Four projects, so a change can be checked at the speed it needs (README "Development"):
// - unit: pure code, no PostgreSQL, no build, no synth (`npm run test:unit`, seconds);
// - constructs: CDK synth of the constructs, against the Lambda bundles in dist/ (built if missing);
// - pack: the packed tarball installed into fresh CDK apps (the slowest file; needs nothing but npm);
// - integration: everything else, against real Aurora-like PostgreSQL servers, one per file and major
//   (`PG_TEST_VERSIONS=17` for one major). New test folders land here by default.
const UNIT = ['test/unit/**/*.test.ts'];
const CONSTRUCTS = ['test/constructs/**/*.test.ts'];
const PACK = ['test/pack/**/*.test.ts'];

function workers(value: string | undefined): number {
  if (value === undefined) return 4;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`TEST_WORKERS must be a whole number of workers (1 or more), got ${JSON.stringify(value)}`);
  return n;
}

export default defineConfig({
  test: {
    // Each integration file starts its own PostgreSQL clusters, so files are isolated. Four workers on CI's two
    // cores: a file spends more than half its time waiting (on its servers, lock and statement timeouts, npm),
    // and two workers left the cores idle (docs/benchmarks.md, "The test suite"). TEST_WORKERS overrides.
    maxWorkers: workers(process.env.TEST_WORKERS),
    sequence: { sequencer: LongestFirstSequencer },
    // An existing server (PG_TEST_URL) is shared and reset by each file: run the files one at a time.
    fileParallelism: process.env.PG_TEST_URL === undefined,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // `TEST_CPU_PROFILE=/tmp/cpu.jsonl`: one line of CPU seconds per test file (test/support/cpu-profile.ts).
    setupFiles: process.env.TEST_CPU_PROFILE ? ['test/support/cpu-profile.ts'] : [],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      // One module registry per worker, not per file: every file imports aws-cdk-lib (seconds of CPU each), and
      // each builds its own App, so nothing a file keeps is seen by the next. 110 s of CPU -> 38 s.
      { extends: true, test: { name: 'constructs', include: CONSTRUCTS, isolate: false } },
      { extends: true, test: { name: 'pack', include: PACK } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT, ...CONSTRUCTS, ...PACK],
          // Stops the run at once when the embedded server's OS user cannot reach the PostgreSQL binaries, and
          // makes each major's template cluster once, before the files that copy it start.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
