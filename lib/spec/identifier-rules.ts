// What a name the role model manages may be: one rule for spec validation (lib/spec/validate.ts) and for the
// names `rolemodel init` generates or adopts (lib/model/init-spec.ts), so init never writes a spec that fails.
import { invisibleCharacterProblem } from './text-rules.js';

export type IdentifierKind = 'role' | 'schema' | 'database';

/** An Aurora cluster identifier: a letter, then letters, digits or hyphens, at most 63 characters. */
export const CLUSTER_ID = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;

const MAX_IDENTIFIER_BYTES = 63;
const RESERVED_ROLE_NAMES = new Set(['public', 'none', 'current_user', 'session_user', 'current_role', 'rdsadmin', 'postgres']);
const RESERVED_DATABASES = new Set(['postgres', 'template0', 'template1', 'rdsadmin']);
const RESERVED_SCHEMAS = new Set(['public', 'db_admin', 'information_schema']);

/** The names a `kind` may not take, and whether the rule ignores case (role names do). */
export function reservedNames(kind: IdentifierKind): { names: string[]; caseInsensitive: boolean } {
  if (kind === 'role') return { names: [...RESERVED_ROLE_NAMES], caseInsensitive: true };
  return { names: [...(kind === 'database' ? RESERVED_DATABASES : RESERVED_SCHEMAS)], caseInsensitive: false };
}

/** Why a non-empty `name` cannot be managed as a `kind`, one message a rule it breaks; empty when it can. */
export function identifierProblems(name: string, kind: IdentifierKind): string[] {
  const problems: string[] = [];
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    problems.push(`"${name.slice(0, 20)}..." is ${bytes} bytes; PostgreSQL truncates identifiers to 63 bytes, use a shorter name`);
  }
  // A name that looks like another in a log, a plan or \du is a way to hide a role; refuse what cannot be seen.
  const invisible = invisibleCharacterProblem(name);
  if (invisible) problems.push(invisible);
  if (kind !== 'database' && /^(pg_|rds_)/i.test(name)) {
    problems.push(`"${name}" starts with a reserved prefix (pg_ or rds_); choose another name`);
  }
  if (kind === 'role' && RESERVED_ROLE_NAMES.has(name.toLowerCase())) problems.push(`"${name}" is a reserved role name`);
  if (kind === 'database' && RESERVED_DATABASES.has(name)) problems.push(`"${name}" is a system database; manage your own database`);
  if (kind === 'schema' && RESERVED_SCHEMAS.has(name)) problems.push(`"${name}" is managed separately; list only application schemas`);
  return problems;
}
