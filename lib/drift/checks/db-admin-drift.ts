// db_admin cannot change silently (issue 8, item 6). The expected state is not written down anywhere: the
// engine installs sql/db_admin*.sql into a scratch schema inside a transaction it rolls back, and the server
// describes both schemas the same way (sql/db-admin-fingerprint.sql). Any difference in a function (body,
// arguments, owner, SECURITY DEFINER, SET options, ACL), a table (columns, constraints, indexes, triggers,
// policies, rules, row security, owner, ACL) or an object the files do not create is drift.
// Fixes: a differing or extra function is dropped (the files then recreate it); triggers, rules, policies,
// constraints, indexes, column defaults and NOT NULL are put back; what would lose data or cannot be restored
// safely (extra or changed columns, extra tables, another owner) is reported for a human.
import type { DbAdminPrints, FunctionPrint, Named, RelationPrint } from '../object-facts.js';
import { DB_ADMIN_SCHEMA } from '../../spec/spec.js';
import { quoteIdent } from '../../plan/sql-text.js';







export interface DbAdminDriftContext {
  readonly admin: string;
  /** Roles the master may SET ROLE to (admin, the database owner): a function they own can be dropped as them. */
  readonly settable: readonly string[];
  /** Grants the engine adds after installing the files: EXECUTE for the broker on the contract functions. */
  readonly extraAcl: (fn: FunctionPrint) => readonly string[];
}

export interface DbAdminDrift {
  readonly problems: string[];
  /** Run before the files are installed again, each as `runAs` (undefined: the applying master). */
  readonly fixes: { runAs?: string; sql: string; reason: string }[];
}

const same = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
const q = (name: string) => `${DB_ADMIN_SCHEMA}.${quoteIdent(name)}`;

function byName<T extends { name: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((i) => [i.name, i]));
}

export function compareDbAdmin(prints: DbAdminPrints, ctx: DbAdminDriftContext): DbAdminDrift {
  const problems: string[] = [];
  const fixes: DbAdminDrift['fixes'] = [];
  // Dropped after the tables' fixes: a trigger must go before the function it runs.
  const functionFixes: DbAdminDrift['fixes'] = [];
  const fnKey = (f: FunctionPrint) => `${f.name}(${f.args})`;
  const want = new Map(prints.want.functions.map((f) => [fnKey(f), f]));
  for (const f of prints.have.functions) {
    const w = want.get(fnKey(f));
    const what: string[] = [];
    if (!w) what.push('not created by sql/db_admin*.sql');
    else {
      if (f.def !== w.def) what.push('definition differs (body, arguments, result, SECURITY DEFINER or SET options)');
      if (f.owner !== w.owner) what.push(`owner is ${f.owner}, expected ${w.owner}`);
      const acl = [...w.acl, ...ctx.extraAcl(f)];
      if (!same(f.acl, acl)) what.push(`privileges are ${f.acl.join(', ') || 'none'}, expected ${acl.join(', ')}`);
    }
    if (what.length === 0) continue;
    problems.push(`function ${DB_ADMIN_SCHEMA}.${fnKey(f)}: ${what.join('; ')}`);
    const runAs = ctx.settable.includes(f.owner) ? f.owner : undefined;
    functionFixes.push({ ...(runAs ? { runAs } : {}), sql: `DROP FUNCTION ${f.signature}`, reason: `restore ${DB_ADMIN_SCHEMA}.${f.name} from sql/db_admin*.sql` });
  }
  for (const w of prints.want.functions) {
    if (!prints.have.functions.some((f) => fnKey(f) === fnKey(w))) problems.push(`function ${DB_ADMIN_SCHEMA}.${fnKey(w)} is missing`);
  }

  const wantRel = byName(prints.want.relations);
  for (const r of prints.have.relations) {
    const w = wantRel.get(r.name);
    if (!w) {
      problems.push(`${r.kind === 'S' ? 'sequence' : 'relation'} ${q(r.name)} is not created by sql/db_admin*.sql; drop it yourself (apply never drops data)`);
      continue;
    }
    compareRelation(r, w, ctx, problems, fixes);
  }
  for (const w of prints.want.relations) {
    if (!prints.have.relations.some((r) => r.name === w.name)) problems.push(`relation ${q(w.name)} is missing`);
  }
  const wantTypes = new Set(prints.want.types.map((t) => `${t.name}/${t.kind}`));
  for (const t of prints.have.types) {
    if (!wantTypes.has(`${t.name}/${t.kind}`)) problems.push(`type ${q(t.name)} is not created by sql/db_admin*.sql; drop it yourself`);
  }
  return { problems, fixes: [...fixes, ...functionFixes] };
}

function compareRelation(r: RelationPrint, w: RelationPrint, ctx: DbAdminDriftContext, problems: string[], fixes: DbAdminDrift['fixes']): void {
  const t = q(r.name);
  const say = (what: string) => problems.push(`${t}: ${what}`);
  if (r.kind !== w.kind) {
    say(`kind is ${r.kind}, expected ${w.kind}; restore it by hand`);
    return;
  }
  if (r.owner !== w.owner) {
    say(`owner is ${r.owner}, expected ${w.owner}; run ALTER TABLE ${t} OWNER TO ${quoteIdent(w.owner)} as its owner`);
    return;
  }
  const fix = (sql: string, reason: string) => fixes.push({ runAs: ctx.admin, sql, reason });
  const extraGrantees = [...new Set(r.acl.filter((a) => !w.acl.includes(a)).map((a) => a.slice(0, a.lastIndexOf(':'))))];
  if (extraGrantees.length > 0) {
    say(`privileges are ${r.acl.join(', ')}, expected ${w.acl.join(', ')}`);
    for (const g of extraGrantees) fix(`REVOKE ALL ON ${t} FROM ${g === 'PUBLIC' ? 'PUBLIC' : quoteIdent(g)}`, `no privilege on ${t} for ${g}`);
  }
  if (r.rowSecurity !== w.rowSecurity) {
    say(`row security (enabled/forced) is ${r.rowSecurity}, expected ${w.rowSecurity}`);
    const [enable, force] = w.rowSecurity.split('/');
    fix(`ALTER TABLE ${t} ${enable === 'true' ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY, ${force === 'true' ? '' : 'NO '}FORCE ROW LEVEL SECURITY`, 'row security as the files set it');
  }
  const named = (kind: string, have: readonly Named[], want: readonly Named[], drop: (n: string) => string, add?: (x: Named) => string) => {
    const wm = byName(want);
    for (const h of have) {
      const x = wm.get(h.name);
      if (x && x.def === h.def) continue;
      say(x ? `${kind} ${h.name} differs: ${h.def}` : `${kind} ${h.name} is not created by the files: ${h.def}`);
      fix(drop(h.name), `restore ${kind}s of ${t}`);
    }
    for (const x of want) {
      const h = have.find((y) => y.name === x.name);
      if (h && h.def === x.def) continue;
      if (!h) say(`${kind} ${x.name} is missing`);
      if (add) fix(add(x), `restore ${kind} ${x.name} of ${t}`);
      else say(`${kind} ${x.name} cannot be restored automatically`);
    }
  };
  named('trigger', r.triggers, w.triggers, (n) => `DROP TRIGGER ${quoteIdent(n)} ON ${t}`);
  named('rule', r.rules, w.rules, (n) => `DROP RULE ${quoteIdent(n)} ON ${t}`);
  named('policy', r.policies, w.policies, (n) => `DROP POLICY ${quoteIdent(n)} ON ${t}`);
  // Definitions come from the server's own rendering of the files' objects, never from a spec.
  named('constraint', r.constraints, w.constraints, (n) => `ALTER TABLE ${t} DROP CONSTRAINT ${quoteIdent(n)}`, (x) => `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(x.name)} ${x.def}`);
  named('index', r.indexes, w.indexes, (n) => `DROP INDEX ${q(n)}`, (x) => x.def);

  const wc = byName(w.columns);
  for (const c of r.columns) {
    const x = wc.get(c.name);
    if (!x) {
      say(`column ${c.name} is not created by the files; drop it yourself (apply never drops data)`);
      continue;
    }
    if (c.type !== x.type || c.identity !== x.identity || c.generated !== x.generated) {
      say(`column ${c.name} is ${c.type}${c.identity ? ` identity ${c.identity}` : ''}${c.generated ? ` generated ${c.generated}` : ''}, expected ${x.type}${x.identity ? ` identity ${x.identity}` : ''}${x.generated ? ` generated ${x.generated}` : ''}; restore it by hand`);
      continue;
    }
    const col = `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(c.name)}`;
    if (c.default !== x.default && !x.identity) {
      say(`column ${c.name} default is ${c.default ?? 'none'}, expected ${x.default ?? 'none'}`);
      fix(x.default === null ? `${col} DROP DEFAULT` : `${col} SET DEFAULT ${x.default}`, `default of ${t}.${c.name} as the files set it`);
    }
    if (c.notNull !== x.notNull) {
      say(`column ${c.name} is ${c.notNull ? 'NOT NULL' : 'nullable'}, expected ${x.notNull ? 'NOT NULL' : 'nullable'}`);
      fix(`${col} ${x.notNull ? 'SET' : 'DROP'} NOT NULL`, `NOT NULL of ${t}.${c.name} as the files set it`);
    }
  }
  for (const x of w.columns) if (!r.columns.some((c) => c.name === x.name)) say(`column ${x.name} is missing; restore it by hand`);
}
