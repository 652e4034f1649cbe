import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each integration file starts its own PostgreSQL clusters, so files are isolated;
    // two workers match the two cores CI has.
    maxWorkers: 2,
    // An existing server (PG_TEST_URL) is shared and reset by each file: run the files one at a time.
    fileParallelism: process.env.PG_TEST_URL === undefined,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    include: ['test/**/*.test.ts'],
    // Stops the run at once when the embedded server's OS user cannot reach the PostgreSQL binaries.
    globalSetup: ['test/support/global-setup.ts'],
  },
});
