// Loads the reviewable SQL files in sql/. They ship beside the compiled code (package `files`) and are
// copied next to each Lambda bundle, so look upwards from this module for the nearest sql/ folder.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let sqlDir: string | undefined;

function findSqlDir(): string {
  if (sqlDir) return sqlDir;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'sql');
    if (existsSync(path.join(candidate, 'inspect-cluster.sql'))) return (sqlDir = candidate);
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the sql/ folder of cdk-aurora-firefighter next to its code; reinstall the package');
}

const cache = new Map<string, string>();

/** A line `-- @include inspect-rule-NAME.sql`: a rule several queries share, written once in its own file. */
const INCLUDE = /^([ \t]*)-- @include ([a-z0-9-]+\.sql)[ \t]*$/gm;

/** A file of sql/, each `-- @include` line replaced by the named file (indented like the line; one level deep). */
export function readSql(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const raw = (file: string) => readFileSync(path.join(findSqlDir(), file), 'utf8');
  const text = raw(name).replace(INCLUDE, (_line, indent: string, file: string) => {
    const rule = raw(file).trimEnd();
    if (/^[ \t]*-- @include /m.test(rule)) throw new Error(`sql/${file}, included by sql/${name}, includes another file; a rule file holds SQL only`);
    return rule.split('\n').map((l) => (l ? `${indent}${l}` : l)).join('\n');
  });
  cache.set(name, text);
  return text;
}

/** Marker stored as the db_admin schema comment: an unchanged sql/db_admin.sql is not re-run. */
export function dbAdminMarker(text: string): string {
  return `cdk-aurora-firefighter db_admin sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/** The files of db_admin, in the order they are installed. */
export const DB_ADMIN_FILES = ['db_admin.sql', 'db_admin_checks.sql', 'db_admin_sessions.sql', 'db_admin_guardrails.sql', 'db_admin_per_person.sql', 'db_admin_per_person_end.sql', 'db_admin_approvals_history.sql', 'db_admin_holder.sql'] as const;

/** What the engine installs in db_admin: part 1, part 2 (per-person logins: issue, end, approvals and reads) and
 *  part 3 (the shared holder's workflow) in one step, one marker. */
export function dbAdminText(): string {
  return `${DB_ADMIN_FILES.map((f) => readSql(f).trimEnd()).join('\n\n')}\n`;
}
