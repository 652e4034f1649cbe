// Validation of a role's guardrails (session settings): timeouts that really bound a session, and a search_path
// of the database's own schemas.
import { Checker, describe, join } from './spec-checker.js';
import { didYouMean } from './suggest.js';
import { DURATION } from './spec-shape.js';

/** Milliseconds per unit; a bare number is milliseconds for every timeout we set. */
const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
/** A timeout under a second (or 0, which disables it) is no guardrail; PostgreSQL's own ceiling is INT_MAX ms. */
const MIN_TIMEOUT_MS = 1000;
const MAX_TIMEOUT_MS = 2_147_483_647;

/** The shape of `guardrails`; its searchPath is checked against the database's schemas once the spec parsed. */
export function checkGuardrails(c: Checker, value: unknown, path: string): void {
  if (value === undefined) return;
  const g = c.shape(value, path, 'guardrails');
  if (!g) return;
  for (const key of ['statementTimeout', 'lockTimeout', 'idleInTransactionSessionTimeout'] as const) {
    const v = g[key];
    if (v === undefined) continue;
    const m = typeof v === 'string' ? DURATION.exec(v) : null;
    if (!m) {
      c.fail(join(path, key), `must be a duration such as "5min", "30s" or "500ms", got ${describe(v)}`);
      continue;
    }
    const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
    if (ms < MIN_TIMEOUT_MS) {
      c.fail(join(path, key), `${describe(v)} ${ms === 0 ? 'disables the timeout' : 'is under 1 second, which defeats the timeout'}; use at least "1s", or remove the field`);
    } else if (ms > MAX_TIMEOUT_MS) {
      c.fail(join(path, key), `${describe(v)} is longer than PostgreSQL's maximum of 2147483647ms (about 24 days); use a shorter duration`);
    }
  }
  const sp = g.searchPath;
  if (sp !== undefined) {
    if (!Array.isArray(sp) || sp.length === 0) c.fail(join(path, 'searchPath'), `must be a non-empty array of schema names, got ${describe(sp)}`);
    else sp.forEach((s, i) => {
      if (s === 'public') return;
      c.identifier(s, join(join(path, 'searchPath'), i), 'schema');
    });
  }
}

/** Each searchPath entry (at `path`) must be public or one of the database's own schemas. */
export function checkSearchPathSchemas(searchPath: readonly string[] | undefined, schemas: readonly string[], path: string, fail: (path: string, message: string) => void): void {
  searchPath?.forEach((s, j) => {
    if (s !== 'public' && !schemas.includes(s)) fail(`${path}[${j}]`, `schema "${s}" is not one of this database's schemas (${schemas.join(', ')})${didYouMean(s, schemas)}`);
  });
}
