// Grant options held by managed roles (WITH GRANT OPTION): the model grants none, anywhere. A role holding one
// may pass the privilege on (GRANT SELECT ON orders TO PUBLIC) and so widen access beyond the model, while the
// privilege counts (has_*_privilege) see nothing amiss. Facts come from sql/inspect-grant-options.sql.
//
// Fixes are `REVOKE GRANT OPTION FOR <privilege> ON <object> FROM <role> CASCADE`: the privilege itself stays
// (the other checks judge it), the option goes. CASCADE is what PostgreSQL demands once the role used its option:
// it also revokes every grant made from the option (and from options passed on), so each step's reason and
// each finding name those grants (grantee, privilege, object). A role that loses a privilege the spec gives it
// that way (in the listed schemas what the model grants; CONNECT to the database's own roles, keepConnect and the
// applying user) gets it back from the owner in the same apply: right after the REVOKE, or after the handover for
// an object the owner role does not own yet (it could not grant on it before). Each REVOKE runs as the grantor of the
// option, chosen as for the other revokes (grantRunner in lib/drift/checks/diff-wide-privileges.ts). A table's CASCADE
// leaves the column grants made from its option: each is revoked first by its own grantor. One left behind earlier
// (its grantor no longer holds the option) is reported (column-grant-orphan): only a human can revoke it.
// These steps come first among a database's steps: the REVOKEs that follow (without CASCADE) would fail on a
// privilege that still has dependent grants, and an ownership change would rewrite the grantors read here. Only
// an option granted by the owner of an object apply hands to the owner role, where the applying user cannot act
// for that owner, waits for the handover (ALTER ... OWNER makes the owner role its grantor): afterHandover.
import type { DefaultOption, GrantOptionFacts, HeldOption, Regrant } from '../object-facts.js';
import { grantRunner } from './diff-wide-privileges.js';
import { OBJECT_GRANTS, type RoleModel, type DatabaseModel } from '../../model/model.js';
import { nameList, type DiffResult, type Finding, type Step } from '../../plan/plan-types.js';
import { quoteIdent } from '../../plan/sql-text.js';






const ON = { database: 'DATABASE', schema: 'SCHEMA', table: 'TABLE', sequence: 'SEQUENCE', column: 'TABLE', routine: 'ROUTINE' } as const;
const DEFAULT_OBJECTS: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS' };
const CLASS_GRANTS = { table: 'tables', sequence: 'sequences', routine: 'routines' } as const;

// From the catalog (aclexplode); anything else would be spliced into SQL.
const privilegeSql = (p: string): string => {
  if (!/^[A-Z]+$/.test(p)) throw new Error(`unexpected privilege name ${JSON.stringify(p)} from the catalog; report it`);
  return p;
};
const who = (role: string): string => (role === 'PUBLIC' ? 'PUBLIC' : quoteIdent(role));

/** `"s"."t"`, `"s"."f"(integer)`, `"s"` for a schema, `"d"` for the database (columns: their table). */
function objectName(o: Pick<HeldOption, 'objectClass' | 'schema' | 'name' | 'args'>): string {
  if (o.objectClass === 'database') return quoteIdent(o.name ?? '');
  if (o.objectClass === 'schema') return quoteIdent(o.schema ?? '');
  return `${quoteIdent(o.schema ?? '')}.${quoteIdent(o.name ?? '')}${o.objectClass === 'routine' ? `(${o.args ?? ''})` : ''}`;
}

/** `TABLE "s"."t"`, `ROUTINE "s"."f"(integer)`, `SCHEMA "s"`, `DATABASE "d"` (columns: their table). */
export function optionObject(o: Pick<HeldOption, 'objectClass' | 'schema' | 'name' | 'args'>): string {
  return `${ON[o.objectClass]} ${objectName(o)}`;
}

const label = (o: HeldOption): string => `${optionObject(o)}${o.column === null ? '' : ` (${quoteIdent(o.column)})`}`;

/** Every grant a REVOKE GRANT OPTION ... CASCADE of `o` takes along: made from the option, and from options passed on. */
export function cascadedGrants(o: HeldOption, regrants: readonly Regrant[]): Regrant[] {
  const out: Regrant[] = [];
  const seen = new Set<string>();
  const from = [o.role];
  for (let grantor = from.shift(); grantor !== undefined; grantor = from.shift()) {
    for (const r of regrants) {
      // A table-level option covers the column grants made from it; a column's option only that column's.
      if (r.key !== o.key || r.grantor !== grantor || r.privilege !== o.privilege || (o.column !== null && r.column !== o.column)) continue;
      const id = `${r.grantor}\0${r.grantee}\0${r.column ?? ''}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(r);
      if (r.grantable) from.push(r.grantee);
    }
  }
  return out;
}

const USAGE_KINDS = new Set(['app', 'firefighterRo', 'firefighterRw']);

/**
 * Whether the spec gives `r.grantee` the privilege a CASCADE of `o` takes from it, so apply gives it back: CONNECT
 * on the database to its own roles, keepConnect and the applying user; in the listed schemas, what the model grants.
 */
function givenBack(model: RoleModel, db: DatabaseModel, applier: string, o: HeldOption, r: Regrant): boolean {
  if (r.column !== null) return false;
  if (o.objectClass === 'database') return r.privilege === 'CONNECT' && [...db.connectors, ...(db.keepConnect ?? []), applier].includes(r.grantee);
  const kind = db.checked.find((x) => x.name === r.grantee)?.kind;
  if (!kind || !o.listed || o.objectClass === 'column') return false;
  if (o.objectClass === 'schema') return r.privilege === 'USAGE' && USAGE_KINDS.has(kind);
  return OBJECT_GRANTS[kind][CLASS_GRANTS[o.objectClass]].includes(r.privilege);
}

/** steps run first among a database's steps; afterHandover right after objects are handed to the owner role. */
export function diffGrantOptions(model: RoleModel, db: DatabaseModel, facts: GrantOptionFacts): DiffResult & { afterHandover: Step[] } {
  const owner = db.roles.owner.name;
  const admin = model.admin.name;
  const database = db.name;
  // Given back after the handover: an object in a listed schema the owner role does not own yet (it cannot grant
  // on it before; an extension's member keeps its owner, so whoever revoked the option gives it back).
  const lateRestore: string[] = [];

  const findings: Finding[] = [];
  const managed = model.managedNames;
  // Column grants made from a table's option: its REVOKE GRANT OPTION ... CASCADE leaves them, so each is revoked
  // on its own first, by its grantor (who still holds the option then), deepest first.
  const columnRevokes = new Map<string, { runner: ReturnType<typeof grantRunner>; borrow: boolean; sql: string[]; lost: string[] }>();
  const groups = new Map<string, { runAs?: string; manual?: string; lend: boolean; handover: boolean; sql: Map<string, string[]>; cascades: string[]; restore: string[]; restoreAsRunner: string[] }>();
  const byHolder = new Map<string, { role: string; privilege: string; names: string[]; cascades: string[] }>();
  const afterHandover: Step[] = [];
  for (const o of facts.options) {
    let runner = grantRunner(owner, admin, o, o.listed && o.grantor === owner);
    // Granted by the owner of an object apply hands to the owner role (lib/drift/diff-database.ts, step 2) which the
    // applying user cannot act for: ALTER ... OWNER makes the owner role the grantor, so the owner revokes it after.
    const handover = runner.manual !== undefined && o.listed && o.byOwner && !o.member && o.objectClass !== 'database';
    if (handover) runner = grantRunner(owner, admin, { ...o, grantor: owner }, true);
    const key = `${runner.manual ?? ''}\0${runner.runAs ?? ''}\0${handover}`;
    if (!groups.has(key)) groups.set(key, { ...(runner.runAs ? { runAs: runner.runAs } : {}), ...(runner.manual ? { manual: runner.manual } : {}), lend: false, handover, sql: new Map(), cascades: [], restore: [], restoreAsRunner: [] });
    const group = groups.get(key);
    if (!group) continue;
    group.lend ||= runner.lendPublic === true;
    const privilege = privilegeSql(o.privilege);
    const column = o.column === null ? '' : ` (${quoteIdent(o.column)})`;
    // One statement per privilege, kind of object and holder, naming every object (one per table for columns).
    const head = `REVOKE GRANT OPTION FOR ${privilege}${column} ON ${ON[o.objectClass]}\0FROM ${who(o.role)} CASCADE${column ? `\0${o.key}` : ''}`;
    if (!group.sql.has(head)) group.sql.set(head, []);
    group.sql.get(head)?.push(objectName(o));
    const cascaded = cascadedGrants(o, facts.regrants);
    if (o.objectClass === 'table') {
      const chain = new Set([o.role, ...cascaded.filter((r) => r.column === null && r.grantable).map((r) => r.grantee)]);
      for (const r of cascaded.filter((x) => x.column !== null && chain.has(x.grantor)).reverse()) {
        // A managed grantor the applying user cannot SET ROLE to is borrowed for the transaction, as for a handover.
        const borrow = !r.byApplier && !r.grantorSettable && managed.has(r.grantor) && r.grantor !== owner && r.grantor !== admin;
        const colRunner = grantRunner(owner, admin, { ...r, grantorSettable: r.grantorSettable || borrow, schema: o.schema }, false);
        const k = `${colRunner.manual ?? ''}\0${colRunner.runAs ?? ''}`;
        if (!columnRevokes.has(k)) columnRevokes.set(k, { runner: colRunner, borrow, sql: [], lost: [] });
        columnRevokes.get(k)?.sql.push(`REVOKE ${privilegeSql(r.privilege)} (${quoteIdent(r.column ?? '')}) ON ${optionObject(o)} FROM ${who(r.grantee)} CASCADE`);
        columnRevokes.get(k)?.lost.push(`${r.grantee} ${r.privilege} on ${optionObject(o)} (${quoteIdent(r.column ?? '')})`);
      }
    }
    const lost = cascaded.map((r) => `${r.grantee} ${r.privilege} on ${optionObject(o)}${r.column === null ? '' : ` (${quoteIdent(r.column)})`} (granted by ${r.grantor})`);
    // Column grants under a table's option are named by their own REVOKE (above), not by CASCADE.
    group.cascades.push(...lost.filter((_, i) => o.column !== null || cascaded[i]?.column === null));
    for (const r of cascaded) {
      if (!givenBack(model, db, facts.applier, o, r)) continue;
      const grant = `GRANT ${privilegeSql(r.privilege)} ON ${optionObject(o)} TO ${quoteIdent(r.grantee)}`;
      if (o.objectClass === 'database' || o.objectOwner === owner) group.restore.push(grant);
      else if (o.member) group.restoreAsRunner.push(grant);
      else lateRestore.push(grant);
    }
    const holder = `${o.role}\0${o.privilege}`;
    if (!byHolder.has(holder)) byHolder.set(holder, { role: o.role, privilege: o.privilege, names: [], cascades: [] });
    byHolder.get(holder)?.names.push(label(o));
    byHolder.get(holder)?.cascades.push(...lost);
  }
  for (const h of byHolder.values()) {
    findings.push({
      code: 'grant-option', database, subject: h.role, objects: h.names,
      message: `${h.role} holds ${h.privilege} WITH GRANT OPTION on ${h.names.length} object(s) in "${database}" and may pass it on to anyone: ${nameList(h.names)}`
        + (h.cascades.length > 0 ? `; grants made from it, which revoking the option takes along: ${nameList(h.cascades)}` : ''),
    });
  }

  const steps: Step[] = [];
  let target = steps;
  const step = (runAs: string | undefined, sql: string, reason: string, manual?: boolean): void => {
    target.push({ phase: 'database-objects', database, ...(runAs ? { runAs } : {}), sql, reason, ...(manual ? { manual } : {}) });
  };
  for (const { runner, borrow, sql, lost } of columnRevokes.values()) {
    const why = `column grants made from a table's grant option, which revoking the option leaves: ${lost.join(', ')}`;
    if (runner.manual) {
      step(undefined, sql.join(';\n'), `${runner.manual}; ${why}`, true);
      continue;
    }
    const as = runner.runAs ? quoteIdent(runner.runAs) : '';
    if (borrow) step(undefined, `GRANT ${as} TO CURRENT_USER`, `temporarily act for ${runner.runAs ?? ''} to revoke grants it made`);
    if (runner.lendPublic) step(owner, `GRANT USAGE ON SCHEMA public TO ${as || 'SESSION_USER'}`, `let ${runner.runAs ?? 'the applying user'} name the objects in public`);
    step(runner.runAs, sql.join(';\n'), `revoke ${why} (as ${runner.runAs ?? 'the applying user'}, who granted them)`);
    if (runner.lendPublic) step(owner, `REVOKE USAGE ON SCHEMA public FROM ${as || 'SESSION_USER'}`, 'end the temporary schema usage');
    if (borrow) step(undefined, `REVOKE ${as} FROM CURRENT_USER`, `end the temporary membership in ${runner.runAs ?? ''}`);
  }
  const statements = (sql: Map<string, string[]>): string => [...sql].map(([head, objects]) => {
    const [revoke = '', from = ''] = head.split('\0');
    return `${revoke} ${objects.join(', ')} ${from}`;
  }).join(';\n');
  for (const g of groups.values()) {
    target = g.handover ? afterHandover : steps;
    const cascade = g.cascades.length > 0 ? `; CASCADE also revokes the grants made from them: ${g.cascades.join(', ')}` : '';
    if (g.manual) {
      step(undefined, statements(g.sql), `${g.manual}${cascade}`, true);
      continue;
    }
    const to = g.runAs ? quoteIdent(g.runAs) : 'SESSION_USER';
    if (g.lend) step(owner, `GRANT USAGE ON SCHEMA public TO ${to}`, `let ${g.runAs ?? 'the applying user'} name the objects in public`);
    step(g.runAs, statements(g.sql), `revoke grant options the model does not give (as ${g.runAs ?? 'the applying user'}, for the role that granted them)${cascade}`);
    if (g.lend) step(owner, `REVOKE USAGE ON SCHEMA public FROM ${to}`, 'end the temporary schema usage');
    if (g.restoreAsRunner.length > 0) step(g.runAs, [...new Set(g.restoreAsRunner)].join(';\n'), 'give back what the model grants and CASCADE took along');
    if (g.restore.length > 0) step(owner, [...new Set(g.restore)].join(';\n'), 'give back what the model grants and CASCADE took along');
  }
  target = afterHandover;
  if (lateRestore.length > 0) step(owner, [...new Set(lateRestore)].join(';\n'), 'give back what the model grants and CASCADE took along, now that the owner role owns the objects');

  target = steps;
  // Column grants whose grantor lost the option on the table before (a CASCADE leaves them): only the grantor
  // holding the option again can revoke them (a superuser's REVOKE acts as the owner), so a human runs it.
  for (const g of facts.orphans) {
    const table = optionObject({ objectClass: 'table', schema: g.schema, name: g.name, args: null });
    const object = `${table} (${quoteIdent(g.column)})`;
    findings.push({
      code: 'column-grant-orphan', database, subject: g.grantee, objects: [object],
      message: `${g.grantee} has ${g.privilege} on ${object}, granted by ${g.grantor}, which no longer holds ${g.privilege} WITH GRANT OPTION there`,
    });
    step(undefined, `REVOKE ${privilegeSql(g.privilege)} (${quoteIdent(g.column)}) ON ${table} FROM ${who(g.grantee)} CASCADE`,
      `granted by ${g.grantor}, which no longer holds the option; only ${g.grantor} can revoke it (a superuser's REVOKE acts as the table's owner): `
      + `let the table's owner grant ${g.grantor} ${g.privilege} (${quoteIdent(g.column)}) WITH GRANT OPTION, run this as ${g.grantor}, then let the owner revoke that grant again`, true);
  }
  // Default privileges: what `role` creates later would come with the option.
  const defaults = new Map<string, { d: DefaultOption; privileges: string[] }>();
  for (const d of facts.defaults) {
    if (!DEFAULT_OBJECTS[d.objectType]) continue;
    const key = `${d.role}\0${d.schema ?? ''}\0${d.objectType}\0${d.grantee}`;
    if (!defaults.has(key)) defaults.set(key, { d, privileges: [] });
    defaults.get(key)?.privileges.push(privilegeSql(d.privilege));
  }
  for (const { d, privileges } of defaults.values()) {
    const objects = DEFAULT_OBJECTS[d.objectType] ?? '';
    const where = d.schema === null ? 'anywhere' : `in "${d.schema}"`;
    findings.push({
      code: 'grant-option', database, subject: d.grantee,
      message: `future ${objects.toLowerCase()} created by ${d.role} ${where} will give ${d.grantee} ${privileges.join(', ')} WITH GRANT OPTION`,
    });
    const own = d.role === owner || d.role === admin;
    const forRole = own ? '' : ` FOR ROLE ${quoteIdent(d.role)}`;
    const sql = `ALTER DEFAULT PRIVILEGES${forRole}${d.schema === null ? '' : ` IN SCHEMA ${quoteIdent(d.schema)}`} REVOKE GRANT OPTION FOR ${privileges.join(', ')} ON ${objects} FROM ${who(d.grantee)} CASCADE`;
    if (own) step(d.role, sql, `future ${objects.toLowerCase()} ${where} come without grant options`);
    else if (d.usable) step(undefined, sql, `future ${objects.toLowerCase()} of ${d.role} ${where} come without grant options`);
    else step(undefined, sql, `default privileges of ${d.role}, whom the applying user cannot act for: run it as ${d.role} (or a member of it)`, true);
  }
  return { findings, steps, afterHandover };
}

/**
 * For plan and apply: every role outside the model that loses a grant when apply revokes an option with CASCADE
 * (what a managed role passed on from an option, and what was passed on from there), one warning per role.
 */
export function grantOptionWarnings(model: RoleModel, db: DatabaseModel, facts: GrantOptionFacts | undefined): Finding[] {
  const managed = model.managedNames;
  const lost = new Map<string, Set<string>>();
  for (const o of facts?.options ?? []) {
    for (const r of cascadedGrants(o, facts?.regrants ?? [])) {
      if (managed.has(r.grantee) || givenBack(model, db, facts?.applier ?? '', o, r)) continue;
      if (!lost.has(r.grantee)) lost.set(r.grantee, new Set());
      lost.get(r.grantee)?.add(`${r.privilege} on ${optionObject(o)}${r.column === null ? '' : ` (${quoteIdent(r.column)})`} (granted by ${r.grantor})`);
    }
  }
  return [...lost].map(([grantee, grants]) => ({
    code: 'grant-option-cascade', database: db.name, subject: grantee,
    message: `${grantee} will lose ${grants.size} grant(s) in "${db.name}" made from grant options the model does not give (REVOKE GRANT OPTION ... CASCADE): ${nameList([...grants])}`,
  }));
}
