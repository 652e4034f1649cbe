// Per-person logins that expired and that the sweep cannot drop (issue 17, item 4): the sweep moves a login's
// large objects to the database owner and drops its default privileges (sql/db_admin_per_person_end.sql), but
// leaves anything else it owns (a table, a function: code or data someone must look at) and whatever it has in
// another database. Such a login can no longer log in, yet it stays, so verify names it and says how to release it.
import type { ClusterFacts } from '../facts.js';
import type { Finding } from '../../plan/plan-types.js';
import { quoteIdent } from '../../plan/sql-text.js';
import type { RoleModel } from '../../model/model.js';

export function diffIssuedLogins(model: RoleModel, facts: Pick<ClusterFacts, 'issuedLogins' | 'serverVersionNum'>): Finding[] {
  const admin = quoteIdent(model.admin.name);
  const out: Finding[] = [];
  for (const l of facts.issuedLogins ?? []) {
    if (!l.expired || (l.owns.length === 0 && l.elsewhere.length === 0)) continue;
    const owner = model.databases.find((d) => d.name === l.database)?.roles.owner.name ?? 'the database owner';
    const where = [...(l.owns.length ? [`it owns ${l.owns.join(', ')} in "${l.database}"`] : []),
      ...(l.elsewhere.length ? [`it owns or is granted something in ${l.elsewhere.map((d) => `"${d}"`).join(', ')}`] : [])];
    const dbs = [...(l.owns.length ? [l.database] : []), ...l.elsewhere];
    const login = quoteIdent(l.login);
    // admin created the login (on 16+ it holds ADMIN OPTION on it) and may SET ROLE owner: with the login's
    // privileges it can give each object to the owner (ALTER ... OWNER TO) or drop it.
    const take = `GRANT ${login} TO ${admin}${facts.serverVersionNum >= 160000 ? ' WITH INHERIT TRUE' : ''}`;
    out.push({
      code: 'firefighter-login-undropped', subject: l.login, database: l.database,
      message: `per-person login ${l.login} of ${l.role} expired at ${l.expiresAt} but the sweep cannot drop it: ${where.join('; ')}. `
        + `Review what it made; then as ${model.admin.name} in ${dbs.map((d) => `"${d}"`).join(' and ')}: ${take}; ALTER ... OWNER TO ${quoteIdent(owner)} for what is to be kept; DROP OWNED BY ${login} for the rest. `
        + 'The next sweep then drops the login',
    });
  }
  return out;
}
