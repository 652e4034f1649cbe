// Per-database part of the plan: schemas, ownership and object privileges here; default privileges
// (diff-default-acl.ts), db_admin (diff-db-admin.ts), wide privileges and passwords in their own files.
// Every fix is set-based (`... ON ALL TABLES IN SCHEMA`), so the number of statements does not grow
// with the number of objects.
import type { DatabaseDiffInput, Find } from './diff-database-types.js';
import { diffDbAdmin } from './checks/diff-db-admin.js';
import { diffDefaultAcl } from './checks/diff-default-acl.js';
import { diffForeignServers } from './checks/diff-foreign-servers.js';
import { diffGrantOptions } from './checks/diff-grant-options.js';
import { diffOwnedOutside } from './checks/diff-owned-outside.js';
import { diffWidePrivileges } from './checks/diff-wide-privileges.js';
import { diffFirefighterPasswords } from './checks/diff-passwords.js';
import { diffPgauditExtension } from './checks/diff-pgaudit-extension.js';
import { accessDrift, privilegeNamesOf } from './checks/privilege-names.js';
import type { DatabaseObjectFacts } from './facts.js';
import type { MisownedObject, ObjectAccessFacts } from './object-facts.js';
import { OBJECT_GRANTS, type DatabaseModel } from '../model/model.js';
import { nameList, type DiffResult, type Finding, type Step } from '../plan/plan-types.js';
import { quoteIdent, quoteIdents } from '../plan/sql-text.js';
import { objectName } from './checks/object-name.js';

export type { DatabaseDiffInput } from './diff-database-types.js';

const CLASS_SQL = { tables: 'TABLES', sequences: 'SEQUENCES', routines: 'ROUTINES' } as const;

export function emptyDatabaseFacts(db: DatabaseModel): DatabaseObjectFacts {
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

export function diffDatabase(input: DatabaseDiffInput): DiffResult {
  const { model, db, major } = input;
  const facts = input.facts ?? emptyDatabaseFacts(db);
  const findings: Finding[] = [];
  const steps: Step[] = [];
  const owner = db.roles.owner.name;
  const admin = model.admin.name;
  const broker = model.passwordBroker.name;
  const database = db.name;
  const add = (runAs: string | undefined, sql: string, reason: string) => steps.push({ phase: 'database-objects', database, ...(runAs ? { runAs } : {}), sql, reason });
  const find: Find = (code, subject, message, objects, about) => findings.push({ code, database, subject, message, ...(objects ? { objects } : {}), ...(about ? { roles: about } : {}) });
  const roles = db.checked;
  const managedOwners = new Set(roles.map((r) => r.name).concat(admin));
  const applier = facts.grantOptions?.applier;
  const usageRoles = roles.filter((r) => r.kind === 'app' || r.kind === 'firefighterRo' || r.kind === 'firefighterRw').map((r) => r.name);

  // 0. The owner's own USAGE and CREATE on its schemas first: every later step run as the owner needs them.
  for (const have of facts.schemas.filter((s) => s.owner === owner && db.schemas.includes(s.name))) {
    const lacks = [...(have.ownerUsage === false ? ['USAGE'] : []), ...(have.ownerCreate === false ? ['CREATE'] : [])];
    if (lacks.length === 0) continue;
    find('schema-owner-access', owner, `${owner} lacks ${lacks.join(', ')} on its own schema "${have.name}": objects there cannot be created or used through it`);
    add(owner, `GRANT ${lacks.join(', ')} ON SCHEMA ${quoteIdent(have.name)} TO ${quoteIdent(owner)}`, 'the owner creates and uses the objects of its schemas');
  }
  //    Grant options next (lib/drift/checks/diff-grant-options.ts): later REVOKEs fail on grants made from them.
  //    Those granted by the owner of an object handed to the owner role below follow the handover (step 2).
  const options = facts.grantOptions ? diffGrantOptions(model, db, facts.grantOptions) : undefined;
  if (options) {
    findings.push(...options.findings);
    steps.push(...options.steps);
  }
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
      handOverSchema(schema, have);
    }
    if (have.publicPrivileges.length > 0) {
      find('schema-public', schema, `PUBLIC has ${have.publicPrivileges.join(', ')} on schema "${schema}"`);
      add(owner, `REVOKE ALL ON SCHEMA ${quoteIdent(schema)} FROM PUBLIC`, 'PUBLIC has nothing on application schemas');
    }
  }

  // ALTER SCHEMA ... OWNER needs the current owner's privileges and CREATE on the database: the applying user
  // borrows a managed owner's for this transaction (as for objects, step 2) and is lent CREATE by the owner role.
  // Another role's schema is a manual step: only someone with ADMIN OPTION on that role can lend it.
  function handOverSchema(schema: string, have: DatabaseObjectFacts['schemas'][number]): void {
    const borrow = have.ownerHeld === false && managedOwners.has(have.owner);
    if (have.ownerHeld === false && !borrow) {
      steps.push({
        phase: 'database-objects', database, manual: true, blocking: true, sql: `GRANT ${quoteIdent(have.owner)} TO ${applier ? quoteIdent(applier) : 'SESSION_USER'}`,
        reason: `schema "${schema}" is owned by ${have.owner}, whose privileges the applying user does not hold; a role with ADMIN OPTION on ${have.owner} (its creator) runs this, then apply hands the schema to ${owner}`,
      });
      return;
    }
    if (borrow) add(undefined, `GRANT ${quoteIdent(have.owner)} TO CURRENT_USER${major >= 16 ? ' WITH INHERIT TRUE, SET FALSE' : ''}`, `temporarily act for ${have.owner} to hand schema "${schema}" to ${owner}`);
    add(owner, `GRANT CREATE ON DATABASE ${quoteIdent(database)} TO SESSION_USER`, 'let the applying user hand the schema over');
    add(undefined, `ALTER SCHEMA ${quoteIdent(schema)} OWNER TO ${quoteIdent(owner)}`, 'the owner role owns every schema');
    add(owner, `REVOKE CREATE ON DATABASE ${quoteIdent(database)} FROM SESSION_USER`, 'the applying user keeps CONNECT only');
    if (borrow) add(undefined, `REVOKE ${quoteIdent(have.owner)} FROM CURRENT_USER`, `end the temporary membership in ${have.owner}`);
  }

  // 2. Objects not owned by the owner (e.g. a migrator that forgot SET ROLE) are handed to the owner.
  const misowned = facts.misowned.filter((m) => m.owner !== owner);
  if (misowned.length > 0) {
    for (const m of misowned) find('object-owner', m.owner, `${m.count} object(s) are owned by ${m.owner}, expected ${owner}: ${nameList(m.names, m.count)}`, m.names);
    const borrowed = misowned.map((m) => m.owner).filter((o) => managedOwners.has(o));
    // ALTER ... OWNER needs the privileges of the current owner: borrow them for this transaction only.
    for (const role of borrowed) add(undefined, `GRANT ${quoteIdent(role)} TO CURRENT_USER${major >= 16 ? ' WITH INHERIT TRUE, SET FALSE' : ''}`, `temporarily act for ${role} to hand its objects to ${owner}`);
    // Naming the objects needs USAGE on their schemas, which the applying user does not otherwise hold.
    add(owner, `GRANT USAGE ON SCHEMA ${quoteIdents(db.schemas)} TO SESSION_USER`, 'let the applying user name the objects');
    const objects = facts.misownedObjects;
    if (objects.length > 0) add(undefined, reassignStatements(objects, owner), `hand objects in the application schemas to ${owner}`);
    add(owner, `REVOKE USAGE ON SCHEMA ${quoteIdents(db.schemas)} FROM SESSION_USER`, 'end the temporary schema usage');
    for (const role of borrowed) add(undefined, `REVOKE ${quoteIdent(role)} FROM CURRENT_USER`, `end the temporary membership in ${role}`);
  }

  steps.push(...(options?.afterHandover ?? []));

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
    if (accessDrift(a, OBJECT_GRANTS[kind][a.objectClass], major).extra.length > 0) {
      revokePublic(a.schema, a.objectClass, 'ALL', 'privileges reached through PUBLIC');
    }
  }
  for (const a of facts.objectAccess) diffObjectAccess(a);

  function diffObjectAccess(a: ObjectAccessFacts): void {
    const kind = roles.find((r) => r.name === a.role)?.kind;
    if (!kind || a.total === 0) return;
    const wanted = OBJECT_GRANTS[kind][a.objectClass];
    const { missing: grant, extra: revoke } = accessDrift(a, wanted, major);
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

  // 8. Column grants and grants outside the listed schemas (lib/drift/checks/diff-wide-privileges.ts).
  if (facts.wide) {
    const wide = diffWidePrivileges(model, db, facts.wide);
    findings.push(...wide.findings);
    steps.push(...wide.steps);
    // USAGE on foreign servers and wrappers (lib/drift/checks/diff-foreign-servers.ts).
    const foreign = diffForeignServers(model, db, facts.wide.foreignGrants ?? []);
    findings.push(...foreign.findings);
    steps.push(...foreign.steps);
    // Schemas and objects managed roles own outside the listed schemas: a manual step (lib/drift/checks/diff-owned-outside.ts).
    const outside = diffOwnedOutside(db, major, facts.wide.ownedOutside ?? []);
    findings.push(...outside.findings);
    steps.push(...outside.steps);
  }
  // 9. Firefighter passwords set outside the broker: expired last, after db_admin is in place.
  const passwords = diffFirefighterPasswords(model, db, facts.firefighterPasswords, new Set(facts.dbAdmin.firefighterRoles.map((r) => r.role)));
  findings.push(...passwords.findings);
  steps.push(...passwords.steps);
  const pgaudit = diffPgauditExtension(db, facts.pgaudit);
  findings.push(...pgaudit.findings);
  steps.push(...pgaudit.steps);

  void broker;
  return { findings, steps };
}

/**
 * ALTER ... OWNER for each misowned object, as one multi-statement step (one round trip however many).
 * Names come from the catalog and are quoted here; routine argument types are the server's own
 * format_type output, schema-qualified because the session's search_path is pg_catalog only.
 */
export function reassignStatements(objects: readonly MisownedObject[], owner: string): string {
  return objects.map((o) => `ALTER ${o.kind} ${objectName(o)} OWNER TO ${quoteIdent(owner)}`).join(';\n');
}

/**
 * For plan and apply: a SECURITY DEFINER routine runs with its owner's privileges, so handing it from the master
 * (rds_superuser's privileges) to the owner role changes what it can do; say so before anything changes.
 */
export function securityDefinerWarnings(db: DatabaseModel, facts: Pick<DatabaseObjectFacts, 'misownedObjects'> | undefined): Finding[] {
  const owner = db.roles.owner.name;
  return (facts?.misownedObjects ?? []).filter((o) => o.securityDefiner && o.owner !== undefined && o.owner !== owner).map((o) => {
    const name = objectName(o);
    return {
      code: 'security-definer-handover', database: db.name, subject: name,
      message: `${name} is SECURITY DEFINER and owned by ${o.owner}: once apply hands it to ${owner} it runs with ${owner}'s privileges, not ${o.owner}'s; check that what it does still works, or move it out of the listed schemas first`,
    };
  });
}
