// The db_admin schema of a managed database: owned by admin, installed from sql/db_admin*.sql and identical to a
// fresh install, closed to everyone but the broker, its allowlist rows and login policies as the spec says.
import { DB_ADMIN_FUNCTIONS, guardrailSettings } from '../../model/db-admin.js';
import { compareDbAdmin } from './db-admin-drift.js';
import type { Add, DatabaseDiffInput, Find } from '../diff-database-types.js';
import { diffLoginPolicies } from './diff-login-policy.js';
import type { DatabaseObjectFacts } from '../facts.js';
import type { Step } from '../../plan/plan-types.js';
import { DB_ADMIN_SCHEMA, PER_PERSON_DEFAULTS } from '../../spec/spec.js';
import { quoteIdent, quoteIdents, quoteLiteral } from '../../plan/sql-text.js';

function dbAdminRoutine(signature: string): string {
  return `${DB_ADMIN_SCHEMA}.${signature}`;
}

/** regprocedure prints `f(name,text)`; the contract spells `f(name, text)`. */
export function sameSignature(a: string, b: string): boolean {
  return a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
}

function dbAdminObjectDrift(input: DatabaseDiffInput, d: DatabaseObjectFacts['dbAdmin'], admin: string, owner: string, broker: string, add: Add, find: Find): boolean {
  if (d.printError !== undefined) {
    find('db-admin-unverified', DB_ADMIN_SCHEMA, `cannot compare db_admin in "${input.db.name}" with sql/db_admin*.sql: ${d.printError}`);
    return true;
  }
  if (!d.prints) return false;
  const contract = Object.values(DB_ADMIN_FUNCTIONS).map(dbAdminRoutine);
  const drift = compareDbAdmin(d.prints, {
    admin, settable: [admin, owner],
    extraAcl: (f) => (contract.some((c) => sameSignature(c, f.signature)) ? [`${broker}:EXECUTE`] : []),
  });
  for (const p of drift.problems) find('db-admin-drift', DB_ADMIN_SCHEMA, `db_admin in "${input.db.name}" differs from sql/db_admin*.sql: ${p}`);
  for (const f of drift.fixes) add(f.runAs, f.sql, f.reason);
  return drift.problems.length > 0;
}

export function diffDbAdmin(input: DatabaseDiffInput, facts: DatabaseObjectFacts, add: Add, find: Find, steps: Step[]): void {
  const { model, db } = input;
  const owner = db.roles.owner.name;
  const admin = model.admin.name;
  const broker = model.passwordBroker.name;
  const d = facts.dbAdmin;
  const fresh = !d.exists;
  if (fresh) {
    if (input.facts) find('db-admin-missing', DB_ADMIN_SCHEMA, `schema db_admin does not exist in "${db.name}"`);
    // admin has no CREATE on the database; lend it for this transaction only.
    add(owner, `GRANT CREATE ON DATABASE ${quoteIdent(db.name)} TO ${quoteIdent(admin)}`, 'let admin create db_admin');
    add(admin, `CREATE SCHEMA ${DB_ADMIN_SCHEMA}`, 'db_admin is owned by admin');
    add(owner, `REVOKE CREATE ON DATABASE ${quoteIdent(db.name)} FROM ${quoteIdent(admin)}`, 'admin keeps CONNECT only');
  } else if (d.owner !== admin) {
    find('db-admin-owner', DB_ADMIN_SCHEMA, `schema db_admin in "${db.name}" is owned by ${d.owner}, expected ${admin}`);
    add(undefined, `ALTER SCHEMA ${DB_ADMIN_SCHEMA} OWNER TO ${quoteIdent(admin)}`, 'db_admin is owned by admin');
  }
  // Every object compared with a fresh install of the files (lib/drift/checks/db-admin-drift.ts): an edited body or
  // ACL is drift even when the version marker still matches.
  const drifted = !fresh && dbAdminObjectDrift(input, d, admin, owner, broker, add, find);
  const installed = !fresh && !drifted && d.comment === input.dbAdminMarker && d.missingRoutines.length === 0;
  if (!installed) {
    if (!fresh) find('db-admin-version', DB_ADMIN_SCHEMA, `db_admin in "${db.name}" is not the current version (${d.missingRoutines.length ? `missing ${d.missingRoutines.join(', ')}` : 'changed'})`);
    steps.push({ phase: 'database-objects', database: db.name, runAs: admin, sql: input.dbAdminSql.trim(), reason: 'install the password functions (sql/db_admin.sql)',
      brief: `\\i sql/db_admin.sql -- ${input.dbAdminSql.trim().split('\n').length} lines, ${input.dbAdminMarker.replace(/^.* (sha256:)/, '$1')}; --verbose prints them` });
    add(admin, `COMMENT ON SCHEMA ${DB_ADMIN_SCHEMA} IS ${quoteLiteral(input.dbAdminMarker)}`, 'record the installed version');
  }

  const others = db.checked.map((r) => r.name).filter((r) => r !== broker);
  const schemaAclOk = d.schemaAcl.length === 1 && d.schemaAcl[0]?.grantee === broker && d.schemaAcl[0]?.privilege === 'USAGE';
  if (!schemaAclOk || !installed) {
    if (!fresh && !schemaAclOk) find('db-admin-schema-privilege', DB_ADMIN_SCHEMA, `schema db_admin in "${db.name}" grants ${d.schemaAcl.map((a) => `${a.privilege} to ${a.grantee}`).join(', ') || 'nothing'}; expected USAGE to ${broker} only`);
    add(admin, `REVOKE ALL ON SCHEMA ${DB_ADMIN_SCHEMA} FROM PUBLIC, ${quoteIdents([...others, owner])}`, 'db_admin is closed to everyone but the broker');
    add(admin, `REVOKE CREATE ON SCHEMA ${DB_ADMIN_SCHEMA} FROM ${quoteIdent(broker)}`, 'the broker only looks up the functions');
    add(admin, `GRANT USAGE ON SCHEMA ${DB_ADMIN_SCHEMA} TO ${quoteIdent(broker)}`, 'the broker calls the functions');
  }

  const contract = Object.values(DB_ADMIN_FUNCTIONS).map(dbAdminRoutine);
  const isContract = (routine: string) => contract.some((c) => sameSignature(c, routine));
  const executorsOk = !fresh && installed && d.executors.every((e) => {
    const want = isContract(e.routine) ? [broker] : [];
    return JSON.stringify([...e.roles].sort()) === JSON.stringify(want);
  });
  if (!executorsOk) {
    for (const e of d.executors) {
      const want = isContract(e.routine) ? [broker] : [];
      const extra = e.roles.filter((r) => !want.includes(r));
      const missing = want.filter((r) => !e.roles.includes(r));
      if (extra.length) find('db-admin-execute-extra', e.routine, `${extra.join(', ')} may EXECUTE ${e.routine} in "${db.name}"`, undefined, extra);
      if (missing.length) find('db-admin-execute-missing', e.routine, `${missing.join(', ')} may not EXECUTE ${e.routine} in "${db.name}"`, undefined, missing);
    }
    add(admin, `REVOKE ALL ON ALL ROUTINES IN SCHEMA ${DB_ADMIN_SCHEMA} FROM PUBLIC, ${quoteIdents([...others, broker, owner])}`, 'no routine in db_admin is executable by default');
    add(admin, `GRANT EXECUTE ON FUNCTION ${contract.join(', ')} TO ${quoteIdent(broker)}`, 'the broker executes the password functions only');
  }
  if (d.tableAccess.length > 0) {
    find('db-admin-table-access', d.tableAccess.join(', '), `${d.tableAccess.join(', ')} can access tables in db_admin of "${db.name}"`, undefined, d.tableAccess);
  }
  if (d.tableAccess.length > 0 || !installed) {
    add(admin, `REVOKE ALL ON ALL TABLES IN SCHEMA ${DB_ADMIN_SCHEMA} FROM PUBLIC, ${quoteIdents([...others, broker, owner])}`, 'the audit and allowlist tables are written by the functions only');
    add(admin, `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${DB_ADMIN_SCHEMA} FROM PUBLIC, ${quoteIdents([...others, broker, owner])}`, 'the audit and allowlist tables are written by the functions only');
  }

  // Each row carries the role's guardrails, which set_firefighter_password sets again for every new holder.
  // And the minutes one holder may hold it per incident (sql/db_admin_holder.sql's extension).
  const incidentMinutes = model.firefighterMinutesPerIncident ?? PER_PERSON_DEFAULTS.minutesPerIncident;
  const wantRoles = [
    { role: db.roles.firefighterRo.name, access: 'ro', guardrails: guardrailSettings(db.roles.firefighterRo.guardrails, 'firefighterRo'), incidentMinutes },
    { role: db.roles.firefighterRw.name, access: 'rw', guardrails: guardrailSettings(db.roles.firefighterRw.guardrails, 'firefighterRw'), incidentMinutes },
  ];
  const sameGuardrails = (have: Readonly<Record<string, readonly string[]>> | null | undefined, want: Record<string, string[]>) =>
    have != null && JSON.stringify(Object.entries(have).sort(([a], [b]) => a.localeCompare(b))) === JSON.stringify(Object.entries(want).sort(([a], [b]) => a.localeCompare(b)));
  const rowsOk = !fresh && installed && d.firefighterRoles.length === 2
    && wantRoles.every((w) => d.firefighterRoles.some((h) => h.role === w.role && h.access === w.access && sameGuardrails(h.guardrails, w.guardrails) && h.incidentMinutes === w.incidentMinutes));
  if (!rowsOk) {
    if (!fresh && installed) find('db-admin-allowlist', DB_ADMIN_SCHEMA, `db_admin.firefighter_role in "${db.name}" lists ${d.firefighterRoles.map((r) => `${r.role} (${r.access}, guardrails ${JSON.stringify(r.guardrails ?? null)}, ${r.incidentMinutes ?? 'no'} minutes per incident)`).join(', ') || 'nothing'}`);
    const names = wantRoles.map((w) => quoteLiteral(w.role)).join(', ');
    add(admin, `DELETE FROM ${DB_ADMIN_SCHEMA}.firefighter_role WHERE role OPERATOR(pg_catalog.<>) ALL (ARRAY[${names}]::pg_catalog.name[])`, 'only this database\'s firefighter roles');
    add(admin, `INSERT INTO ${DB_ADMIN_SCHEMA}.firefighter_role (role, access, guardrails, incident_minutes) VALUES ${wantRoles.map((w) => `(${quoteLiteral(w.role)}, ${quoteLiteral(w.access)}, ${quoteLiteral(JSON.stringify(w.guardrails))}::jsonb, ${w.incidentMinutes})`).join(', ')} ON CONFLICT (role) DO UPDATE SET access = EXCLUDED.access, guardrails = EXCLUDED.guardrails, incident_minutes = EXCLUDED.incident_minutes`, 'the functions accept these roles only, and re-assert these guardrails');
  }
  const policies = diffLoginPolicies(model, db, d.loginPolicies);
  if (policies.changed || !installed) {
    if (!fresh && installed) find('db-admin-login-policy', DB_ADMIN_SCHEMA, policies.message);
    for (const sql of policies.sql) add(admin, sql, 'per-person logins only for the groups the spec names, within its limits');
  }
}
