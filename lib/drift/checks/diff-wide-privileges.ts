// Least privilege in the whole database (issue 10.3): column-level grants, which has_table_privilege does not
// see, and anything granted directly to a managed role on a schema the spec does not list (public included)
// or on the objects in it. Facts come from sql/inspect-wide-privileges.sql.
//
// What PUBLIC may do in an unlisted schema is left alone: revoking it would change what every unmanaged role
// can do there, and the spec says nothing about those schemas. In the listed schemas PUBLIC counts, as it does
// for the table-level privileges (lib/drift/diff-database.ts).
//
// Fixes are REVOKEs naming the objects, several objects per statement and every statement of one grantor in one
// step (one round trip). A table-level REVOKE also revokes that privilege on every column of the table, so the
// column grants go with the same statement. A REVOKE removes only the grant of the grantor PostgreSQL picks
// for the session (select_best_grantor: the current role first, then the roles it inherits, the first holding
// every grant option asked for, an object's owner holding all): so each REVOKE runs as the role that granted
// the privilege (SET ROLE), names only the privileges granted, and a grantor the applying user cannot SET ROLE
// to gets a manual step. Revoking ALL as the applying user would remove the grant of an inherited owner instead.
import type { ColumnGrantFacts, DefaultGrantFacts, GrantSource, OtherGrantFacts, WidePrivilegeFacts } from '../object-facts.js';
import { OBJECT_GRANTS, type RoleModel, type DatabaseModel } from '../../model/model.js';
import { nameList, type DiffResult, type Finding, type Step } from '../../plan/plan-types.js';
import { quoteIdent } from '../../plan/sql-text.js';





const DEFAULT_OBJECTS: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS' };

const ON = { schema: 'SCHEMA', tables: 'TABLE', sequences: 'SEQUENCE', routines: 'ROUTINE' } as const;

function objectName(schema: string, name: string | null, args: string | null, routine: boolean): string {
  if (name === null) return quoteIdent(schema);
  return `${quoteIdent(schema)}.${quoteIdent(name)}${routine ? `(${args ?? ''})` : ''}`;
}

export interface Runner {
  readonly runAs?: string;
  /** Why apply cannot run it (a human must); undefined when it can. */
  readonly manual?: string;
  /** Whoever runs it needs USAGE on schema public to name the objects; the owner role lends it. */
  readonly lendPublic?: boolean;
}

// From the catalog (aclexplode); anything else would be spliced into SQL, so it revokes ALL instead.
const privilegeSql = (privilege: string): string => (/^[A-Z]+$/.test(privilege) ? privilege : 'ALL');


/**
 * Who runs the REVOKE of a grant. Owner and admin are roles the engine already acts as; anyone else only if the
 * applying user granted the privilege itself or may SET ROLE to the grantor, and whoever runs it can name the objects.
 */
export function grantRunner(owner: string, admin: string, g: GrantSource, listedByOwner: boolean): Runner {
  if (listedByOwner) return { runAs: owner };
  if (g.grantor === owner || g.grantor === admin) return { runAs: g.grantor };
  if (!g.byApplier && !g.grantorSettable) return { manual: `granted by ${g.grantor}, whom the applying user cannot SET ROLE to: run it as ${g.grantor}` };
  const runAs = g.byApplier ? {} : { runAs: g.grantor };
  if (g.byApplier ? g.schemaUsable : g.grantorSchemaUsable) return runAs;
  if (g.schema === 'public') return { ...runAs, lendPublic: true };
  const who = g.byApplier ? 'the applying user' : g.grantor;
  return { manual: `${who} has no USAGE on schema "${g.schema ?? ''}": let the schema's owner grant ${who} USAGE there, run it as ${g.grantor}, and revoke that USAGE again` };
}

/** Groups revokes by who runs them and what they revoke, so that each statement names many objects. */
class Revokes {
  private readonly byRunner = new Map<string, { runner: Runner; lend: boolean; statements: Map<string, Set<string>> }>();

  private group(runner: Runner) {
    const key = `${runner.manual ?? ''}\0${runner.runAs ?? ''}`;
    let group = this.byRunner.get(key);
    if (!group) {
      group = { runner, lend: false, statements: new Map() };
      this.byRunner.set(key, group);
    }
    group.lend ||= runner.lendPublic === true;
    return group;
  }

  /** `head object, object... tail`. */
  add(runner: Runner, head: string, object: string, tail: string): void {
    const statements = this.group(runner).statements;
    const stmt = `${head}\0${tail}`;
    if (!statements.has(stmt)) statements.set(stmt, new Set());
    statements.get(stmt)?.add(object);
  }

  /** `REVOKE privilege ON kind object FROM grantee`, the privileges of one object and grantee in one statement. */
  revoke(runner: Runner, privilege: string, on: string, object: string, grantee: string): void {
    const statements = this.group(runner).statements;
    const stmt = `\0${on}\0${object}\0${grantee}`;
    if (!statements.has(stmt)) statements.set(stmt, new Set());
    statements.get(stmt)?.add(privilegeSql(privilege));
  }

  steps(database: string, owner: string): Step[] {
    const out: Step[] = [];
    const step = (runAs: string | undefined, sql: string, reason: string, manual?: boolean): void => {
      out.push({ phase: 'database-objects', database, ...(runAs ? { runAs } : {}), sql, reason, ...(manual ? { manual } : {}) });
    };
    for (const { runner, lend, statements } of this.byRunner.values()) {
      // Objects revoked the same privileges from the same grantee share a statement.
      const merged = new Map<string, Set<string>>();
      for (const [stmt, items] of statements) {
        const [head = '', on = '', object = '', grantee = ''] = stmt.split('\0');
        const key = head ? stmt : `REVOKE ${[...items].includes('ALL') ? 'ALL' : [...items].sort().join(', ')} ON ${on}\0FROM ${grantee}`;
        if (!merged.has(key)) merged.set(key, new Set());
        for (const o of head ? items : [object]) merged.get(key)?.add(o);
      }
      const sql = [...merged].map(([stmt, objects]) => {
        const [head = '', tail = ''] = stmt.split('\0');
        return `${head} ${[...objects].join(', ')} ${tail}`.trimEnd();
      }).join(';\n');
      if (runner.manual) {
        step(undefined, sql, runner.manual, true);
        continue;
      }
      const to = runner.runAs ? quoteIdent(runner.runAs) : 'SESSION_USER';
      if (lend) step(owner, `GRANT USAGE ON SCHEMA public TO ${to}`, `let ${runner.runAs ?? 'the applying user'} name the objects in public`);
      step(runner.runAs, sql, `revoke privileges beyond the model (as ${runner.runAs ?? 'the applying user'}, for the role that granted them)`);
      if (lend) step(owner, `REVOKE USAGE ON SCHEMA public FROM ${to}`, 'end the temporary schema usage');
    }
    return out;
  }
}

export function diffWidePrivileges(model: RoleModel, db: DatabaseModel, wide: WidePrivilegeFacts): DiffResult {
  const owner = db.roles.owner.name;
  const admin = model.admin.name;
  const kinds = new Map(db.checked.map((r) => [r.name, r.kind]));
  const findings: Finding[] = [];
  const revokes = new Revokes();
  const runner = (g: GrantSource, listedByOwner: boolean): Runner => grantRunner(owner, admin, g, listedByOwner);

  // Column grants, one finding per schema, role, privilege and path.
  const columnGroups = new Map<string, { g: ColumnGrantFacts; tables: Map<string, string[]> }>();
  for (const g of wide.columnGrants) {
    const kind = kinds.get(g.role);
    if (!kind) continue;
    if (g.listed && (OBJECT_GRANTS[kind].tables.includes(g.privilege) || g.tableLevel)) continue;
    const key = `${g.schema}\0${g.role}\0${g.privilege}\0${g.viaPublic}`;
    if (!columnGroups.has(key)) columnGroups.set(key, { g, tables: new Map() });
    const table = objectName(g.schema, g.table, null, false);
    const cols = columnGroups.get(key)?.tables;
    if (!cols?.has(table)) cols?.set(table, []);
    if (!cols?.get(table)?.includes(g.column)) cols?.get(table)?.push(g.column);
    const who = g.viaPublic ? 'PUBLIC' : quoteIdent(g.role);
    // Listed schemas: only the privilege the role must not have (the model grants the rest on the whole table).
    revokes.revoke(runner(g, g.listed && g.byOwner), g.privilege, 'TABLE', table, who);
  }
  for (const { g, tables } of columnGroups.values()) {
    const names = [...tables].map(([t, cols]) => `${t} (${cols.map(quoteIdent).join(', ')})`);
    const where = g.listed ? `"${g.schema}"` : `schema "${g.schema}", which the spec does not list`;
    findings.push({
      code: 'column-privilege-extra', database: db.name, subject: g.role, objects: names,
      message: `${g.role} has ${g.privilege} on columns of ${names.length} table(s) in ${where}${g.viaPublic ? ' through PUBLIC' : ''}: ${nameList(names)}`,
    });
  }

  // Direct grants on unlisted schemas and their objects. CREATE on public is the public-schema check's.
  const otherGroups = new Map<string, { o: OtherGrantFacts; privileges: Set<string>; names: Set<string> }>();
  for (const o of wide.otherGrants) {
    if (!kinds.has(o.role)) continue;
    if (o.objectClass === 'schema' && o.schema === 'public' && o.privilege === 'CREATE') continue;
    const key = `${o.schema}\0${o.role}\0${o.objectClass}`;
    if (!otherGroups.has(key)) otherGroups.set(key, { o, privileges: new Set(), names: new Set() });
    const group = otherGroups.get(key);
    const name = objectName(o.schema, o.name, o.args, o.objectClass === 'routines');
    group?.privileges.add(o.privilege);
    group?.names.add(name);
    revokes.revoke(runner(o, false), o.privilege, ON[o.objectClass], name, quoteIdent(o.role));
  }
  for (const { o, privileges, names } of otherGroups.values()) {
    const privs = [...privileges].sort().join(', ');
    const list = [...names];
    const message = o.objectClass === 'schema'
      ? `${o.role} has ${privs} on schema "${o.schema}", which the spec does not list`
      : `${o.role} has ${privs} on ${list.length} ${o.objectClass} in schema "${o.schema}", which the spec does not list: ${nameList(list)}`;
    findings.push({ code: `${o.objectClass === 'schema' ? 'schema' : o.objectClass}-privilege-unlisted`, database: db.name, subject: o.role, message, ...(o.objectClass === 'schema' ? {} : { objects: list }) });
  }
  // Default privileges of other roles (the migrator, the master, an unmanaged role): whatever they create
  // later would hand managed roles privileges the model does not give.
  const defaults = new Map<string, { d: DefaultGrantFacts; privileges: string[] }>();
  for (const d of wide.defaultGrants ?? []) {
    if (d.role === owner || d.role === admin || !kinds.has(d.grantee) || !DEFAULT_OBJECTS[d.objectType]) continue;
    const key = `${d.role}\0${d.schema ?? ''}\0${d.objectType}\0${d.grantee}`;
    if (!defaults.has(key)) defaults.set(key, { d, privileges: [] });
    defaults.get(key)?.privileges.push(d.privilege);
  }
  for (const { d, privileges } of defaults.values()) {
    const objects = (DEFAULT_OBJECTS[d.objectType] ?? '').toLowerCase();
    findings.push({
      code: 'default-privilege-foreign', database: db.name, subject: d.grantee,
      message: `future ${objects} created by ${d.role} ${d.schema === null ? 'anywhere' : `in "${d.schema}"`} will grant ${privileges.join(', ')} to ${d.grantee}; the model gives managed roles nothing through other roles' default privileges`,
    });
    const r: Runner = d.usable ? {} : { manual: `default privileges of ${d.role}, whom the applying user cannot act for: run it as ${d.role} (or a member of it)` };
    revokes.add(r, `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(d.role)}${d.schema === null ? '' : ` IN SCHEMA ${quoteIdent(d.schema)}`} REVOKE ALL ON ${DEFAULT_OBJECTS[d.objectType] ?? ''} FROM`, quoteIdent(d.grantee), '');
  }
  return { findings, steps: revokes.steps(db.name, owner) };
}

