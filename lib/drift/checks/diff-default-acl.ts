// Default privileges (ALTER DEFAULT PRIVILEGES): objects the owner creates later get the slots' grants, and
// routines the owner or admin create are never executable by PUBLIC.
import type { DatabaseObjectFacts } from '../facts.js';
import type { Add, DatabaseDiffInput, Find } from '../diff-database-types.js';
import { OBJECT_GRANTS } from '../../model/model.js';
import { quoteIdent } from '../../plan/sql-text.js';

const DEFAULT_ACL_TYPE = { tables: 'r', sequences: 'S', routines: 'f' } as const;
const DEFAULT_ACL_SQL: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS' };

export function diffDefaultAcl(input: DatabaseDiffInput, facts: DatabaseObjectFacts, add: Add, find: Find): void {
  const { model, db } = input;
  const owner = db.roles.owner.name;
  const admin = model.admin.name;
  const roles = db.checked;
  // key: role / schema ('' = global) / object type -> grantee -> privileges
  const want = new Map<string, Map<string, Set<string>>>();
  const put = (role: string, schema: string, type: string, grantee: string, privs: readonly string[]) => {
    const key = `${role}\0${schema}\0${type}`;
    if (!want.has(key)) want.set(key, new Map());
    if (privs.length > 0) want.get(key)?.set(grantee, new Set(privs));
  };
  for (const schema of db.schemas) {
    for (const cls of ['tables', 'sequences', 'routines'] as const) {
      for (const r of roles) put(owner, schema, DEFAULT_ACL_TYPE[cls], r.name, OBJECT_GRANTS[r.kind][cls]);
    }
  }
  // Global: routines created later by the owner or admin are not executable by PUBLIC.
  put(owner, '', 'f', 'PUBLIC', []);
  put(admin, '', 'f', 'PUBLIC', []);

  const have = new Map<string, Map<string, Set<string>>>();
  for (const row of facts.defaultAcl) {
    const key = `${row.role}\0${row.schema ?? ''}\0${row.objectType}`;
    if (row.grantee === row.role) continue;
    if (!have.has(key)) have.set(key, new Map());
    const m = have.get(key);
    if (!m?.has(row.grantee)) m?.set(row.grantee, new Set());
    m?.get(row.grantee)?.add(row.privilege);
  }
  // Without a global row for functions, PostgreSQL's built-in default lets PUBLIC execute.
  for (const role of [owner, admin]) {
    const key = `${role}\0\0f`;
    if (!facts.defaultAcl.some((r) => `${r.role}\0${r.schema ?? ''}\0${r.objectType}` === key)) {
      have.set(key, new Map([['PUBLIC', new Set(['EXECUTE'])]]));
    }
  }

  const keys = new Set([...want.keys(), ...[...have.keys()].filter((k) => k.startsWith(`${owner}\0`) || k.startsWith(`${admin}\0`))]);
  for (const key of keys) {
    const [role = '', schema = '', type = ''] = key.split('\0');
    const w = want.get(key) ?? new Map<string, Set<string>>();
    const h = have.get(key) ?? new Map<string, Set<string>>();
    const typeSql = DEFAULT_ACL_SQL[type];
    if (!typeSql) continue;
    const inSchema = schema ? ` IN SCHEMA ${quoteIdent(schema)}` : '';
    const where = schema ? `in "${schema}"` : 'anywhere';
    for (const grantee of new Set([...w.keys(), ...h.keys()])) {
      const wp = w.get(grantee) ?? new Set<string>();
      const hp = h.get(grantee) ?? new Set<string>();
      const missing = [...wp].filter((p) => !hp.has(p));
      const extra = [...hp].filter((p) => !wp.has(p));
      const who = grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdent(grantee);
      if (missing.length > 0) {
        if (input.facts) find('default-privilege-missing', grantee, `future ${typeSql.toLowerCase()} created by ${role} ${where} will not grant ${missing.join(', ')} to ${grantee}`);
        add(role, `ALTER DEFAULT PRIVILEGES${inSchema} GRANT ${missing.join(', ')} ON ${typeSql} TO ${who}`, `future ${typeSql.toLowerCase()} ${where}`);
      }
      if (extra.length > 0) {
        if (input.facts) find('default-privilege-extra', grantee, `future ${typeSql.toLowerCase()} created by ${role} ${where} would grant ${extra.join(', ')} to ${grantee}`);
        add(role, `ALTER DEFAULT PRIVILEGES${inSchema} REVOKE ${extra.join(', ')} ON ${typeSql} FROM ${who}`, `future ${typeSql.toLowerCase()} ${where}`);
      }
    }
  }
}
