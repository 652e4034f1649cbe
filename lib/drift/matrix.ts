// The effective-access matrix the verifier saw, rendered for people: one line per role and database.
import type { ClusterFacts, DatabaseObjectFacts } from './facts.js';
import type { ObjectAccessFacts } from './object-facts.js';
import type { RoleModel } from '../model/model.js';

const LETTERS: Record<string, string> = {
  SELECT: 'S', INSERT: 'I', UPDATE: 'U', DELETE: 'D', TRUNCATE: 'T', REFERENCES: 'R', TRIGGER: 'G', MAINTAIN: 'M', USAGE: 'U', EXECUTE: 'X',
};

/** Upper-case letter: on every object; lower-case: on some; '-': on none; '(none)' when the schema has no such objects. */
function cell(a: ObjectAccessFacts | undefined, privileges: readonly string[]): string {
  if (!a || a.total === 0) return '(none)';
  return privileges
    .map((p) => {
      const n = a.granted[p] ?? 0;
      const letter = LETTERS[p] ?? '?';
      return n === a.total ? letter : n > 0 ? letter.toLowerCase() : '-';
    })
    .join('');
}

export function renderMatrix(model: RoleModel, cluster: ClusterFacts, databases: readonly DatabaseObjectFacts[], tablePrivileges: readonly string[]): string {
  const lines: string[] = [];
  const yes = (b: boolean | null | undefined) => (b ? 'yes' : 'no');
  lines.push(`tables: ${tablePrivileges.map((p) => `${LETTERS[p]}=${p}`).join(' ')}; sequences: U=USAGE S=SELECT U=UPDATE; routines: X=EXECUTE`);
  lines.push('upper case = every object, lower case = some objects, - = none');
  for (const db of model.databases) {
    const facts = databases.find((d) => d.database === db.name);
    lines.push('');
    lines.push(`database "${db.name}" (owner ${db.roles.owner.name}; schemas ${db.schemas.map((s) => `"${s}"`).join(', ')})`);
    const header = ['role', 'login', 'iam', 'connect', 'schema', 'tables', 'sequences', 'routines', 'db_admin'];
    const rows: string[][] = [header];
    for (const r of db.checked) {
      const role = cluster.roles.find((x) => x.name === r.name);
      const access = cluster.databaseAccess.find((x) => x.role === r.name && x.database === db.name);
      for (const schema of db.schemas) {
        const sa = facts?.schemaAccess.find((x) => x.role === r.name && x.schema === schema);
        const oa = (cls: ObjectAccessFacts['objectClass']) => facts?.objectAccess.find((x) => x.role === r.name && x.schema === schema && x.objectClass === cls);
        const execs = facts?.dbAdmin.executors.filter((e) => e.roles.includes(r.name)).length ?? 0;
        const extra = db.extraRoles?.find((x) => x.name === r.name);
        rows.push([
          extra ? `${r.name} (${extra.profile})` : r.name,
          yes(role?.login),
          yes(role?.iam),
          yes(access?.connect),
          `${sa?.usage ? 'U' : '-'}${sa?.create ? 'C' : '-'}`,
          cell(oa('tables'), tablePrivileges),
          cell(oa('sequences'), ['USAGE', 'SELECT', 'UPDATE']),
          cell(oa('routines'), ['EXECUTE']),
          execs > 0 ? `EXECUTE ${execs} functions` : '-',
        ]);
      }
    }
    const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
    for (const row of rows) lines.push(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  }
  return lines.join('\n');
}
