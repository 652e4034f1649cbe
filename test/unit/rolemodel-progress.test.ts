// Issue 19.7: apply and verify print a line per phase on stderr once they run over a second (old: apply was
// silent for 7 s on 3,000 tables, then printed everything at once); nothing when stderr is not a terminal
// unless --progress.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progressLines } from '../../bin/rolemodel/progress.js';
import type { CliIo } from '../../bin/rolemodel/io.js';

function io(tty: boolean): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: () => undefined, err: (l) => lines.push(l), env: {}, stderrIsTty: tty };
}

describe('progress lines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says nothing in the first second, then the phase running at 1 s and each later one, with the time', () => {
    const t = io(true);
    const p = progressLines(t, 'apply', false, 1000, () => Date.now());
    p.phase('roles and memberships');
    vi.advanceTimersByTime(500);
    p.phase('databases and their settings');
    expect(t.lines).toEqual([]);
    vi.advanceTimersByTime(600);
    expect(t.lines).toEqual(['rolemodel apply: databases and their settings (1.0 s)']);
    vi.advanceTimersByTime(2000);
    p.phase('objects in database "my-pg-db"');
    p.phase('verifying');
    p.done();
    expect(t.lines).toEqual([
      'rolemodel apply: databases and their settings (1.0 s)',
      'rolemodel apply: objects in database "my-pg-db" (3.1 s)',
      'rolemodel apply: verifying (3.1 s)',
    ]);
  });

  it('a run under a second prints nothing', () => {
    const t = io(true);
    const p = progressLines(t, 'verify', true);
    p.phase('inspecting the cluster');
    vi.advanceTimersByTime(900);
    p.done();
    vi.advanceTimersByTime(5000);
    expect(t.lines).toEqual([]);
  });

  it('is quiet when stderr is not a terminal, unless --progress', () => {
    const quiet = io(false);
    const p = progressLines(quiet, 'apply', false);
    p.phase('roles and memberships');
    vi.advanceTimersByTime(5000);
    p.phase('verifying');
    expect(quiet.lines).toEqual([]);
    const asked = io(false);
    const q = progressLines(asked, 'apply', true);
    q.phase('roles and memberships');
    vi.advanceTimersByTime(1000);
    expect(asked.lines).toEqual(['rolemodel apply: roles and memberships (1.0 s)']);
    q.done();
  });

  it('escapes a name in a phase', () => {
    const t = io(true);
    const p = progressLines(t, 'verify', true, 0);
    p.phase('inspecting database "a\nb"');
    p.done();
    expect(t.lines).toEqual(['rolemodel verify: inspecting database "a\\nb" (0.0 s)']);
  });
});
