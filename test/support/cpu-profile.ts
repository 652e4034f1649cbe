// Per-file CPU time, for finding what makes the suite slow on a busy machine where wall time says little:
// `TEST_CPU_PROFILE=/tmp/cpu.jsonl npx vitest run` appends one line per test file with the CPU seconds its
// worker and the worker's finished children (the PostgreSQL servers it started and stopped, their backends,
// CLIs it spawned) used from the file's import to its last afterAll. Loaded as a setup file only when asked.
import { appendFileSync, readFileSync } from 'node:fs';
import { afterAll, expect } from 'vitest';

function cpuSeconds(): number {
  // /proc/self/stat after the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (ticks).
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / 100;
}

const out = process.env.TEST_CPU_PROFILE;
const started = cpuSeconds();
const wallStarted = Date.now();

// Registered before the file's own hooks, so with the default stack order it runs after them (servers stopped).
afterAll(() => {
  if (!out) return;
  const file = expect.getState().testPath ?? 'unknown';
  appendFileSync(out, `${JSON.stringify({ file: file.replace(`${process.cwd()}/`, ''), cpu: +(cpuSeconds() - started).toFixed(2), wall: +((Date.now() - wallStarted) / 1000).toFixed(2) })}\n`);
});
