// Per-database part of the plan: schemas, ownership, object privileges, default privileges, db_admin.
// Every fix is set-based (`... ON ALL TABLES IN SCHEMA`), so the number of statements does not grow
// with the number of objects.
import { DB_ADMIN_FUNCTIONS, guardrailSettings } from './db-admin.js';
import { compareDbAdmin } from './db-admin-drift.js';
import { diffLoginPolicies } from './diff-login-policy.js';
import { diffWidePrivileges } from './diff-wide-privileges.js';
import { diffFirefighterPasswords } from './diff-passwords.js';
import { privilegeNamesOf } from './privilege-names.js';
import type { DatabaseObjectFacts, MisownedObject, ObjectAccessFacts } from './facts.js';
import { checkedRoles, OBJECT_GRANTS, SEQUENCE_PRIVILEGES, tablePrivileges } from './model.js';
import { nameList, type DiffResult, type Finding, type Step } from './plan-types.js';
import { DB_ADMIN_SCHEMA, PER_PERSON_DEFAULTS, type DatabaseSpec, type RoleModelSpec } from './spec.js';
import { quoteIdent, quoteIdents, quoteLiteral } from './sql-text.js';

export interface DatabaseDiffInput {
  readonly spec: RoleModelSpec;
  readonly db: DatabaseSpec;
  readonly major: number;
  /** undefined when the database does not exist yet: plan as for an empty database. */
  readonly facts: DatabaseObjectFacts | undefined;
  /** The text of sql/db_admin.sql and the marker recorded in the schema comment once it is installed. */
  readonly dbAdminSql: string;
  readonly dbAdminMarker: string;
}

const CLASS_SQL = { tables: 'TABLES', sequences: 'SEQUENCES', routines: 'ROUTINES' } as const;
const DEFAULT_ACL_TYPE = { tables: 'r', sequences: 'S', routines: 'f' } as const;
const DEFAULT_ACL_SQL: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS' };

export function emptyDatabaseFacts(db: DatabaseSpec): DatabaseObjectFacts {
  return {
    database: db.name,
    schemas: [],
    schemaAccess: [],
    publicSchema: { exists: true, publicPrivileges: ['USAGE'] },
    publicSchemaCreate: [],
    objectAccess: [],
    publicRoutines: [],
    misowned: [],
    misownedObjects: [],
    defaultAcl: [],
    dbAdmin: { exists: false, owner: null, comment: null, schemaAcl: [], firefighterRoles: [], executors: [], tableAccess: [], missingRoutines: [] },
  };
}

function dbAdminRoutine(signature: string): string {
  return `${DB_ADMIN_SCHEMA}.${signature}`;
}

/** regprocedure prints `f(name,text)`; the contract spells `f(name, text)`. */
export function sameSignature(a: string, b: string): boolean {
  return a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
}

export function diffDatabase(input: DatabaseDiffInput): DiffResult {
  const { spec, db, major } = input;
  const facts = input.facts ?? emptyDatabaseFacts(db);
  const findings: Finding[] = [];
  const steps: Step[] = [];
  const owner = db.roles.owner.name;
  const admin = spec.admin.name;
  const broker = spec.passwordBroker.name;
  const database = db.name;
  const add = (runAs: string | undefined, sql: string, reason: string) => steps.push({ phase: 'database-objects', database, ...(runAs ? { runAs } : {}), sql, reason });
  const find: Find = (code, subject, message, objects, about) => findings.push({ code, database, subject, message, ...(objects ? { objects } : {}), ...(about ? { roles: about } : {}) });
  const roles = checkedRoles(spec, db);
  const usageRoles = roles.filter((r) => r.kind === 'app' || r.kind === 'firefighterRo' || r.kind === 'firefighterRw').map((r) => r.name);

  // 1. Schemas exist and belong to the owner.
  for (const schema of db.schemas) {
    const have = facts.schemas.find((s) => s.name === schema);
    if (!have) {
      if (input.facts) find('schema-missing', schema, `schema "${schema}" does not exist in "${database}"`);
      add(owner, `CREATE SCHEMA ${quoteIdent(schema)}`, `application schema owned by ${owner}`);
      add(owner, `GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${quoteIdents(usageRoles)}`, 'schema usage for app and firefighters');
      continue;
    }
    if (have.owner !== owner) {
      find('schema-owner', schema, `schema "${schema}" is owned by ${have.owner}, expected ${owner}`);
      // ALTER SCHEMA ... OWNER needs CREATE on the database for the user running it; lend it for this transaction.
      add(owner, `GRANT CREATE ON DATABASE ${quoteIdent(database)} TO SESSION_USER`, 'let the applying user hand the schema over');
      add(undefined, `ALTER SCHEMA ${quoteIdent(schema)} OWNER TO ${quoteIdent(owner)}`, 'the owner role owns every schema');
      add(owner, `REVOKE CREATE ON DATABASE ${quoteIdent(database)} FROM SESSION_USER`, 'the applying user keeps CONNECT only');
    }
    if (have.publicPrivileges.length > 0) {
      find('schema-public', schema, `PUBLIC has ${have.publicPrivileges.join(', ')} on schema "${schema}"`);
      add(owner, `REVOKE ALL ON SCHEMA ${quoteIdent(schema)} FROM PUBLIC`, 'PUBLIC has nothing on application schemas');
    }
  }

  // 2. Objects not owned by the owner (e.g. a migrator that forgot SET ROLE) are handed to the owner.
  const misowned = facts.misowned.filter((m) => m.owner !== owner);
  if (misowned.length > 0) {
    for (const m of misowned) find('object-owner', m.owner, `${m.count} object(s) are owned by ${m.owner}, expected ${owner}: ${nameList(m.names, m.count)}`, m.names);
    const managed = new Set(roles.map((r) => r.name).concat(admin));
    const borrowed = misowned.map((m) => m.owner).filter((o) => managed.has(o));
    // ALTER ... OWNER needs the privileges of the current owner: borrow them for this transaction only.
    for (const role of borrowed) add(undefined, `GRANT ${quoteIdent(role)} TO CURRENT_USER${major >= 16 ? ' WITH INHERIT TRUE, SET FALSE' : ''}`, `temporarily act for ${role} to hand its objects to ${owner}`);
    // Naming the objects needs USAGE on their schemas, which the applying user does not otherwise hold.
    add(owner, `GRANT USAGE ON SCHEMA ${quoteIdents(db.schemas)} TO SESSION_USER`, 'let the applying user name the objects');
    const objects = facts.misownedObjects;
    if (objects.length > 0) add(undefined, reassignStatements(objects, owner), `hand objects in the application schemas to ${owner}`);
    add(owner, `REVOKE USAGE ON SCHEMA ${quoteIdents(db.schemas)} FROM SESSION_USER`, 'end the temporary schema usage');
    for (const role of borrowed) add(undefined, `REVOKE ${quoteIdent(role)} FROM CURRENT_USER`, `end the temporary membership in ${role}`);
  }

  // 3. Schema access: USAGE for app and firefighters, CREATE for nobody.
  for (const a of facts.schemaAccess) {
    const kind = roles.find((r) => r.name === a.role)?.kind;
    if (!kind) continue;
    const wantUsage = kind === 'app' || kind === 'firefighterRo' || kind === 'firefighterRw';
    if (a.usage !== wantUsage) {
      find('schema-usage', a.role, `${a.role} ${a.usage ? 'has' : 'lacks'} USAGE on schema "${a.schema}"`);
      add(owner, `${wantUsage ? 'GRANT' : 'REVOKE'} USAGE ON SCHEMA ${quoteIdent(a.schema)} ${wantUsage ? 'TO' : 'FROM'} ${quoteIdent(a.role)}`, `schema usage for ${kind}`);
    }
    if (a.create) {
      find('schema-create', a.role, `${a.role} has CREATE on schema "${a.schema}"`);
      add(owner, `REVOKE CREATE ON SCHEMA ${quoteIdent(a.schema)} FROM ${quoteIdent(a.role)}`, 'only the owner creates objects');
    }
  }

  // 4. Schema public: PUBLIC never creates there; optionally no usage either.
  if (facts.publicSchema.exists) {
    const revoke = facts.publicSchema.publicPrivileges.filter((p) => p === 'CREATE' || (p === 'USAGE' && db.revokePublicSchemaUsage !== false));
    if (revoke.length > 0) {
      if (input.facts) find('public-schema', 'PUBLIC', `PUBLIC has ${revoke.join(', ')} on schema public in "${database}"`);
      add(owner, `REVOKE ${revoke.join(', ')} ON SCHEMA public FROM PUBLIC`, 'harden schema public');
    }
    const creators = facts.publicSchemaCreate.filter((r) => roles.some((x) => x.name === r));
    for (const r of creators) {
      find('public-schema-create', r, `${r} can CREATE in schema public of "${database}"`);
      add(owner, `REVOKE CREATE ON SCHEMA public FROM ${quoteIdent(r)}`, 'no role but the owner creates objects');
    }
  }

  // 5. Effective object privileges in the application schemas. PUBLIC is revoked first: a role that held a
  //    privilege only through PUBLIC must get it granted directly in the same transaction.
  const privileges = { tables: tablePrivileges(major), sequences: [...SEQUENCE_PRIVILEGES], routines: ['EXECUTE'] };
  const publicRevoked = new Set<string>();
  const revokePublic = (schema: string, cls: keyof typeof CLASS_SQL, privilegeSql: string, reason: string) => {
    const key = `${schema}/${cls}`;
    if (publicRevoked.has(key)) return;
    publicRevoked.add(key);
    add(owner, `REVOKE ${privilegeSql} ON ALL ${CLASS_SQL[cls]} IN SCHEMA ${quoteIdent(schema)} FROM PUBLIC`, reason);
  };
  for (const p of facts.publicRoutines) {
    find('routine-public', 'PUBLIC', `PUBLIC may EXECUTE ${p.names.length} routine(s) in "${p.schema}" of "${database}": ${nameList(p.names)}`, p.names);
    revokePublic(p.schema, 'routines', 'EXECUTE', 'routines run only for roles granted EXECUTE');
  }
  for (const a of facts.objectAccess) {
    const kind = roles.find((r) => r.name === a.role)?.kind;
    if (!kind || a.total === 0) continue;
    const wanted = OBJECT_GRANTS[kind][a.objectClass];
    if (privileges[a.objectClass].some((p) => !wanted.includes(p) && (a.granted[p] ?? 0) > 0)) {
      revokePublic(a.schema, a.objectClass, 'ALL', 'privileges reached through PUBLIC');
    }
  }
  for (const a of facts.objectAccess) diffObjectAccess(a);

  function diffObjectAccess(a: ObjectAccessFacts): void {
    const kind = roles.find((r) => r.name === a.role)?.kind;
    if (!kind || a.total === 0) return;
    const wanted = OBJECT_GRANTS[kind][a.objectClass];
    const grant: string[] = [];
    const revoke: string[] = [];
    for (const p of privileges[a.objectClass]) {
      const n = a.granted[p] ?? 0;
      if (wanted.includes(p) && n < a.total) grant.push(p);
      if (!wanted.includes(p) && n > 0) revoke.push(p);
    }
    const what = a.objectClass;
    if (grant.length > 0) {
      const names = privilegeNamesOf(facts, a, 'missing');
      find(`${a.objectClass}-privilege-missing`, a.role, `${a.role} lacks ${grant.join(', ')} on ${names ? `${names.length} of ${a.total}` : 'some'} ${what} in "${a.schema}"${names ? `: ${nameList(names)}` : ''}`, names);
    }
    // After PUBLIC lost its privileges, grant everything wanted: what came through PUBLIC is gone now.
    const toGrant = publicRevoked.has(`${a.schema}/${a.objectClass}`) ? wanted : grant;
    if (toGrant.length > 0) {
      add(owner, `GRANT ${toGrant.join(', ')} ON ALL ${CLASS_SQL[a.objectClass]} IN SCHEMA ${quoteIdent(a.schema)} TO ${quoteIdent(a.role)}`, `${kind} privileges on existing ${what}`);
    }
    if (revoke.length > 0) {
      const names = privilegeNamesOf(facts, a, 'extra');
      find(`${a.objectClass}-privilege-extra`, a.role, `${a.role} has ${revoke.join(', ')} on ${names?.length ?? Math.max(...revoke.map((p) => a.granted[p] ?? 0))} of ${a.total} ${what} in "${a.schema}"${names ? `: ${nameList(names)}` : ''}`, names);
      add(owner, `REVOKE ${revoke.join(', ')} ON ALL ${CLASS_SQL[a.objectClass]} IN SCHEMA ${quoteIdent(a.schema)} FROM ${quoteIdent(a.role)}`, `${kind} must not hold ${revoke.join(', ')}`);
    }
  }

  // 6. Default privileges, so objects the owner creates later get the same grants (and routines are not PUBLIC).
  diffDefaultAcl(input, facts, add, find);

  // 7. db_admin: schema, functions, allowlist rows, EXECUTE for the broker only.
  diffDbAdmin(input, facts, add, find, steps);

  // 8. Column grants and grants outside the listed schemas (lib/core/diff-wide-privileges.ts).
  if (facts.wide) {
    const wide = diffWidePrivileges(spec, db, facts.wide);
    findings.push(...wide.findings);
    steps.push(...wide.steps);
  }
  // 9. Firefighter passwords set outside the broker: expired last, after db_admin is in place.
  const passwords = diffFirefighterPasswords(spec, db, facts.firefighterPasswords, new Set(facts.dbAdmin.firefighterRoles.map((r) => r.role)));
  findings.push(...passwords.findings);
  steps.push(...passwords.steps);

  void broker;
  return { findings, steps };
}

/**
 * ALTER ... OWNER for each misowned object, as one multi-statement step (one round trip however many).
 * Names come from the catalog and are quoted here; routine argument types are the server's own
 * format_type output, schema-qualified because the session's search_path is pg_catalog only.
 */
export function reassignStatements(objects: readonly MisownedObject[], owner: string): string {
  return objects.map((o) => {
    const name = `${quoteIdent(o.schema)}.${quoteIdent(o.name)}${o.kind === 'ROUTINE' || o.kind === 'AGGREGATE' ? `(${o.args ?? ''})` : ''}`;
    return `ALTER ${o.kind} ${name} OWNER TO ${quoteIdent(owner)}`;
  }).join(';\n');
}

type Add = (runAs: string | undefined, sql: string, reason: string) => void;
type Find = (code: string, subject: string, message: string, objects?: readonly string[], roles?: readonly string[]) => void;

function diffDefaultAcl(input: DatabaseDiffInput, facts: DatabaseObjectFacts, add: Add, find: Find): void {
  const { spec, db } = input;
  const owner = db.roles.owner.name;
  const admin = spec.admin.name;
  const roles = checkedRoles(spec, db);
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

function diffDbAdmin(input: DatabaseDiffInput, facts: DatabaseObjectFacts, add: Add, find: Find, steps: Step[]): void {
  const { spec, db } = input;
  const owner = db.roles.owner.name;
  const admin = spec.admin.name;
  const broker = spec.passwordBroker.name;
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
  // Every object compared with a fresh install of the files (lib/core/db-admin-drift.ts): an edited body or
  // ACL is drift even when the version marker still matches.
  const drifted = !fresh && dbAdminObjectDrift(input, d, admin, owner, broker, add, find);
  const installed = !fresh && !drifted && d.comment === input.dbAdminMarker && d.missingRoutines.length === 0;
  if (!installed) {
    if (!fresh) find('db-admin-version', DB_ADMIN_SCHEMA, `db_admin in "${db.name}" is not the current version (${d.missingRoutines.length ? `missing ${d.missingRoutines.join(', ')}` : 'changed'})`);
    steps.push({ phase: 'database-objects', database: db.name, runAs: admin, sql: input.dbAdminSql.trim(), reason: 'install the password functions (sql/db_admin.sql)',
      brief: `\\i sql/db_admin.sql -- ${input.dbAdminSql.trim().split('\n').length} lines, ${input.dbAdminMarker.replace(/^.* (sha256:)/, '$1')}; --verbose prints them` });
    add(admin, `COMMENT ON SCHEMA ${DB_ADMIN_SCHEMA} IS ${quoteLiteral(input.dbAdminMarker)}`, 'record the installed version');
  }

  const others = checkedRoles(spec, db).map((r) => r.name).filter((r) => r !== broker);
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
  const incidentMinutes = spec.firefighterMinutesPerIncident ?? PER_PERSON_DEFAULTS.minutesPerIncident;
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
  const policies = diffLoginPolicies(spec, db, d.loginPolicies);
  if (policies.changed || !installed) {
    if (!fresh && installed) find('db-admin-login-policy', DB_ADMIN_SCHEMA, policies.message);
    for (const sql of policies.sql) add(admin, sql, 'per-person logins only for the groups the spec names, within its limits');
  }
}
