// Schemas and objects a managed role owns outside the spec's listed schemas (sql/inspect-wide-privileges.sql,
// ownedOutside). Inside the listed schemas apply hands everything to the owner role (diff-database.ts, step 2);
// outside them nothing did, so a lived-in database's app login (adopted with `"adopt": true`) kept the schema it
// created and its tables: as their owner it may TRUNCATE, ALTER and DROP them and CREATE in the schema, which
// the model never gives app. The same for any checked role (a migrator that forgot SET ROLE, the firefighters,
// the broker, the verifier, an extra role) and admin outside db_admin. The owner role may own anything.
//
// No automatic fix: an adopted app may still use those tables, and taking them away could break production. So a
// manual step with the statements that hand them to the owner role, and a reason that says to list the schema in
// the spec instead if the app uses it (apply then hands what is in it to the owner and grants app the model's
// privileges). apply therefore ends with a VerificationError naming the finding, as for every manual step.
import { objectName } from './object-name.js';
import type { MisownedObject, OwnedOutsideFacts } from '../object-facts.js';
import { nameList, type DiffResult, type Finding, type Step } from '../../plan/plan-types.js';
import type { DatabaseSpec } from '../../spec/spec.js';
import { quoteIdent, quoteIdents } from '../../plan/sql-text.js';


export function diffOwnedOutside(db: DatabaseSpec, major: number, owned: readonly OwnedOutsideFacts[]): DiffResult {
  const owner = db.roles.owner.name;
  const findings: Finding[] = [];
  const steps: Step[] = [];
  const byRole = new Map<string, OwnedOutsideFacts[]>();
  for (const o of owned) {
    if (o.role === owner) continue;
    if (!byRole.has(o.role)) byRole.set(o.role, []);
    byRole.get(o.role)?.push(o);
  }
  for (const [role, list] of byRole) {
    const schemas = list.filter((o) => o.kind === 'SCHEMA').map((o) => o.schema);
    const objects: MisownedObject[] = list.flatMap((o) => (o.kind === 'SCHEMA' || o.name === null ? [] : [{ kind: o.kind, schema: o.schema, name: o.name, args: o.args }]));
    const names = [...schemas.map(quoteIdent), ...objects.map(objectName)];
    const counts = [schemas.length > 0 ? `${schemas.length} schema(s)` : '', objects.length > 0 ? `${objects.length} object(s)` : ''].filter(Boolean).join(' and ');
    findings.push({
      code: 'owned-outside-model', database: db.name, subject: role, roles: [role], objects: names,
      message: `${role} owns ${counts} outside the listed schemas: ${nameList(names)}; an owner may alter, truncate and drop them, which the model never gives ${role}: list the schema in the spec (apply hands what is in it to ${owner} and grants the model's privileges) or hand them over yourself`,
    });
    // The new owner needs CREATE on an object's schema: given in the role's own schemas (handed over first) and in
    // public (the database owner's); elsewhere only that schema's owner can give it.
    const foreign = [...new Set(objects.map((o) => o.schema).filter((s) => s !== 'public' && !schemas.includes(s)))];
    const note = foreign.length > 0 ? `; ${owner} needs CREATE on schema ${foreign.map(quoteIdent).join(', ')} (and the applying user USAGE) first: ask its owner` : '';
    steps.push({ phase: 'database-objects', database: db.name, manual: true, sql: handOver(db, major, role, schemas, objects, list), reason: `hand what ${role} owns outside the listed schemas to ${owner}, as the applying user; if the application still uses it, list its schema in the spec instead${note}` });
  }
  return { findings, steps };
}

/**
 * ALTER ... OWNER needs the current owner's privileges (a membership in the role, inherited, for this session
 * only), CREATE on the database for a schema, and USAGE on the schema to name an object; the new owner needs
 * CREATE on the schema, so schemas go first. The owner role lends what the applying user lacks.
 */
function handOver(db: DatabaseSpec, major: number, role: string, schemas: readonly string[], objects: readonly MisownedObject[], list: readonly OwnedOutsideFacts[]): string {
  const owner = quoteIdent(db.roles.owner.name);
  const asOwner = (sql: string[]): string[] => (sql.length === 0 ? [] : [`SET ROLE ${owner}`, ...sql, 'RESET ROLE']);
  // After the hand-over the role's schemas are the owner role's: the applying user names their objects by a lent USAGE.
  const lend = [...new Set([...schemas, ...list.filter((o) => o.name !== null && !o.schemaUsable && o.schema === 'public').map((o) => o.schema)])]
    .filter((s) => objects.some((o) => o.schema === s));
  const sql = [
    `GRANT ${quoteIdent(role)} TO CURRENT_USER${major >= 16 ? ' WITH INHERIT TRUE, SET FALSE' : ''}`,
    ...asOwner(schemas.length > 0 ? [`GRANT CREATE ON DATABASE ${quoteIdent(db.name)} TO SESSION_USER`] : []),
    ...schemas.map((s) => `ALTER SCHEMA ${quoteIdent(s)} OWNER TO ${owner}`),
    ...asOwner([
      ...(schemas.length > 0 ? [`REVOKE CREATE ON DATABASE ${quoteIdent(db.name)} FROM SESSION_USER`] : []),
      ...(lend.length > 0 ? [`GRANT USAGE ON SCHEMA ${quoteIdents(lend)} TO SESSION_USER`] : []),
    ]),
    ...objects.map((o) => `ALTER ${o.kind} ${objectName(o)} OWNER TO ${owner}`),
    ...asOwner(lend.length > 0 ? [`REVOKE USAGE ON SCHEMA ${quoteIdents(lend)} FROM SESSION_USER`] : []),
    `REVOKE ${quoteIdent(role)} FROM CURRENT_USER`,
  ];
  return sql.join(';\n');
}
