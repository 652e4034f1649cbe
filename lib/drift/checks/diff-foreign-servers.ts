// USAGE on foreign servers and foreign-data wrappers (sql/inspect-wide-privileges.sql, foreignGrants). The model
// gives managed roles none: with USAGE on a server a role may call it by name (dblink('reporting', ...),
// dblink_exec) through its own or PUBLIC's user mapping, i.e. with credentials stored for someone else, possibly
// a writer elsewhere, and create user mappings for itself; with USAGE on a wrapper it may create servers. So a
// read-only firefighter could write through it. Reading a foreign table needs no USAGE on its server (the
// table's owner needed it to create the table; readers need SELECT and a user mapping), so the owner's foreign
// tables keep working for app and the firefighters after the REVOKE.
//
// Who counts: PUBLIC (servers and wrappers are database-wide objects, like the database, whose PUBLIC privileges
// apply revokes too) and every role checkedRoles lists: the migrator included (it works through SET ROLE owner
// and needs nothing itself); the owner (who may create foreign tables) and admin (which the engine acts as) are
// exempt, and roles outside the model keep their grants, as for the other grants outside the model.
//
// Fixes: `REVOKE USAGE ON FOREIGN SERVER "s" FROM PUBLIC, "role"`, run as the grantor (grantRunner, as for the
// other revokes: PostgreSQL revokes only the grant of the grantor it picks for the session), a manual step naming
// the grantor when the applying user cannot SET ROLE to it. The REVOKE takes a grant option with it; CASCADE only
// when the holder passed the privilege on (foreignServerWarnings names who loses it, before anything changes).
import type { ForeignGrantFacts } from '../object-facts.js';
import { grantRunner } from './diff-wide-privileges.js';
import type { RoleModel, DatabaseModel } from '../../model/model.js';
import { nameList, type DiffResult, type Finding, type Step } from '../../plan/plan-types.js';
import { quoteIdent } from '../../plan/sql-text.js';


const ON = { server: 'FOREIGN SERVER', wrapper: 'FOREIGN DATA WRAPPER' } as const;
const CODE = { server: 'server-usage', wrapper: 'wrapper-usage' } as const;

// From the catalog (aclexplode); anything else would be spliced into SQL.
const privilegeSql = (p: string): string => {
  if (!/^[A-Z]+$/.test(p)) throw new Error(`unexpected privilege name ${JSON.stringify(p)} from the catalog; report it`);
  return p;
};
const who = (role: string): string => (role === 'PUBLIC' ? 'PUBLIC' : quoteIdent(role));
const label = (g: Pick<ForeignGrantFacts, 'objectClass' | 'name'>): string => `${ON[g.objectClass].toLowerCase()} ${quoteIdent(g.name)}`;

/** The grants the model does not give: held by PUBLIC or a checked role (owner and admin are not checked). */
function outsideModel(model: RoleModel, db: DatabaseModel, grants: readonly ForeignGrantFacts[]): ForeignGrantFacts[] {
  const checked = new Set(db.checked.map((r) => r.name));
  return grants.filter((g) => g.role === 'PUBLIC' || checked.has(g.role));
}

export function diffForeignServers(model: RoleModel, db: DatabaseModel, grants: readonly ForeignGrantFacts[]): DiffResult {
  const owner = db.roles.owner.name;
  const findings: Finding[] = [];
  const steps: Step[] = [];
  const byObject = new Map<string, ForeignGrantFacts[]>();
  for (const g of outsideModel(model, db, grants)) {
    const key = `${g.objectClass}\0${g.name}`;
    if (!byObject.has(key)) byObject.set(key, []);
    byObject.get(key)?.push(g);
  }
  for (const list of byObject.values()) {
    const first = list[0];
    if (!first) continue;
    // One finding per server or wrapper: the grantees by grantor, options and what was passed on from them.
    const byGrantor = new Map<string, string[]>();
    for (const g of list) {
      if (!byGrantor.has(g.grantor)) byGrantor.set(g.grantor, []);
      const passed = g.passedOn.length > 0 ? `, passed on to ${g.passedOn.join(', ')}` : '';
      byGrantor.get(g.grantor)?.push(`${g.role}${g.grantable ? ` (WITH GRANT OPTION${passed})` : ''}`);
    }
    const granted = [...byGrantor].map(([grantor, holders]) => `to ${[...new Set(holders)].join(', ')} by ${grantor}`).join('; ');
    const what = first.objectClass === 'server'
      ? 'it lets them call it by name (dblink) with their own or PUBLIC\'s user mapping and create user mappings'
      : 'it lets them create foreign servers with it';
    const roles = [...new Set(list.map((g) => g.role))];
    findings.push({
      code: CODE[first.objectClass], database: db.name, subject: first.name, roles,
      message: `USAGE on ${label(first)} is granted ${granted}; the model gives no role but the owner any, and ${what}`,
    });
    // One REVOKE per grantor (and CASCADE or not), each run as that grantor.
    const statements = new Map<string, { g: ForeignGrantFacts; privileges: Set<string>; grantees: Set<string>; cascade: boolean }>();
    // A grant made from a holder's option that the holder's CASCADE takes along needs no REVOKE of its own.
    const cascaded = (g: ForeignGrantFacts): boolean => list.some((h) => h.role === g.grantor && h.passedOn.includes(g.role));
    for (const g of list.filter((x) => !cascaded(x))) {
      const cascade = g.passedOn.length > 0;
      const key = `${g.grantor}\0${cascade}`;
      if (!statements.has(key)) statements.set(key, { g, privileges: new Set(), grantees: new Set(), cascade });
      statements.get(key)?.privileges.add(privilegeSql(g.privilege));
      statements.get(key)?.grantees.add(who(g.role));
    }
    for (const { g, privileges, grantees, cascade } of statements.values()) {
      const sql = `REVOKE ${[...privileges].sort().join(', ')} ON ${ON[g.objectClass]} ${quoteIdent(g.name)} FROM ${[...grantees].join(', ')}${cascade ? ' CASCADE' : ''}`;
      const runner = grantRunner(owner, model.admin.name, { ...g, schema: null, schemaUsable: true, grantorSchemaUsable: true }, false);
      const passed = cascade ? `; CASCADE also revokes what was passed on from the grant option (${list.flatMap((x) => x.passedOn).join(', ')})` : '';
      steps.push({
        phase: 'database-objects', database: db.name, sql, ...(runner.runAs ? { runAs: runner.runAs } : {}),
        reason: runner.manual ?? `no managed role uses ${label(g)} (as ${runner.runAs ?? 'the applying user'}, the grantor)${passed}`,
        ...(runner.manual ? { manual: true } : {}),
      });
    }
  }
  return { findings, steps };
}

/** For plan and apply: every role outside the model that loses USAGE when apply revokes it with CASCADE. */
export function foreignServerWarnings(model: RoleModel, db: DatabaseModel, grants: readonly ForeignGrantFacts[] | undefined): Finding[] {
  const checked = new Set(db.checked.map((r) => r.name));
  const lost = new Map<string, Set<string>>();
  for (const g of outsideModel(model, db, grants ?? [])) {
    for (const grantee of g.passedOn) {
      if (grantee === 'PUBLIC' || checked.has(grantee)) continue;
      if (!lost.has(grantee)) lost.set(grantee, new Set());
      lost.get(grantee)?.add(`${g.privilege} on ${label(g)} (granted by ${g.role})`);
    }
  }
  return [...lost].map(([grantee, what]) => ({
    code: 'grant-option-cascade', database: db.name, subject: grantee,
    message: `${grantee} will lose ${what.size} grant(s) in "${db.name}" made from grant options the model does not give (REVOKE ... CASCADE): ${nameList([...what])}`,
  }));
}
