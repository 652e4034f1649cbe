// Session settings stored in the catalog (pg_db_role_setting) for managed roles and databases. Only the
// spec's guardrails may be there: anything else would change every managed session behind the spec's back
// (an owner's `ALTER DATABASE ... SET default_transaction_read_only = on`, a holder's
// `ALTER ROLE <self> SET statement_timeout = 0` left for the next holder). Verify reports it; apply resets it.
// Where pgaudit is loaded, the statement audit is one of them: each managed database audits every session by
// default, its firefighter roles explicitly, and every other role that connects to it, the applying master
// included, is exempted in it (STATEMENT_AUDIT_EXEMPT). A removed or weakened one is a finding.
import type { ClusterFacts } from '../facts.js';
import type { ManagedRole, RoleModel, DatabaseModel } from '../../model/model.js';
import type { Finding, Step } from '../../plan/plan-types.js';
import { guardrailSettings, STATEMENT_AUDIT_EXEMPT, STATEMENT_AUDIT_SETTINGS } from '../../model/db-admin.js';
import { LOGIN_ROLE_SLOTS, type Guardrails, type LoginRoleSlot } from '../../spec/spec.js';
import { quoteIdent, quoteIdents, quoteLiteral } from '../../plan/sql-text.js';

interface WantedSetting {
  readonly sql: string;
  readonly matches: (have: string) => boolean;
  readonly shown: string;
}

/** Parses a stored `search_path` value (`"my-pg-db-schema", public`) into names. */
export function parseSearchPath(value: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,\s]+))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < value.length && (m = re.exec(value)) !== null) {
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? ''));
  }
  return out;
}

const TRUE_WORDS = new Set(['on', 'true', 'yes', '1', 't', 'y']);
const FALSE_WORDS = new Set(['off', 'false', 'no', '0', 'f', 'n']);

/**
 * The settings a role must have in its own database. Built from guardrailSettings, the same list db_admin
 * re-asserts for each new firefighter holder: a guardrail added there reaches both. Durations are literals;
 * search_path elements identifiers (a literal `'"my-schema"'` would name a schema called "my-schema" with quotes).
 * `audit`: on a server with pgaudit loaded, the statement audit settings this role gets in the database
 * (auditOf); the engine sets them as the master (db_admin's admin, which re-asserts the guardrails, may not set a
 * superuser setting, and its RESET ALL leaves one alone).
 */
export function wantedSettings(g: Guardrails | undefined, slot?: LoginRoleSlot, audit: Readonly<Record<string, readonly string[]>> = {}): Map<string, WantedSetting> {
  const out = new Map<string, WantedSetting>();
  for (const [name, values] of Object.entries({ ...guardrailSettings(g, slot), ...audit })) {
    if (name === 'search_path') {
      out.set(name, { sql: quoteIdents(values), matches: (have) => JSON.stringify(parseSearchPath(have)) === JSON.stringify(values), shown: values.join(', ') });
    } else if (name === 'default_transaction_read_only') {
      out.set(name, { sql: values.map(quoteLiteral).join(', '), matches: (have) => TRUE_WORDS.has(have.toLowerCase()), shown: values.join(', ') });
    } else if (name === 'pgaudit.log_parameter') {
      out.set(name, { sql: values.map(quoteLiteral).join(', '), matches: (have) => FALSE_WORDS.has(have.toLowerCase()), shown: values.join(', ') });
    } else {
      const v = values.join(', ');
      out.set(name, { sql: values.map(quoteLiteral).join(', '), matches: (have) => have === v, shown: v });
    }
  }
  return out;
}

/** A setting name from the catalog as SQL: `work_mem`, or `"my.custom"` parts for a placeholder. */
function settingName(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

function parsed(settings: readonly string[] | undefined): Map<string, string> {
  const have = new Map<string, string>();
  for (const kv of settings ?? []) {
    const i = kv.indexOf('=');
    have.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return have;
}

/** The guardrails of a role in a database: only its own database's login roles have any. */
function guardrailsOf(role: ManagedRole, db: DatabaseModel): { g: Guardrails | undefined; slot?: LoginRoleSlot } {
  if (role.database !== db.name) return { g: undefined };
  for (const slot of LOGIN_ROLE_SLOTS) {
    if (db.roles[slot].name === role.name) return { g: db.roles[slot].guardrails, slot };
  }
  return { g: db.extraRoles?.find((x) => x.name === role.name)?.guardrails };
}

/**
 * The statement audit settings of a role in a database where pgaudit is loaded: the firefighter roles' own, an
 * exemption for everyone else who connects to it (the database's default audits whoever is left: the per-person
 * logins), nothing for a role that cannot connect there.
 */
function auditOf(role: ManagedRole, db: DatabaseModel, slot: LoginRoleSlot | undefined): Readonly<Record<string, readonly string[]>> {
  if (role.database === db.name && (slot === 'firefighterRo' || slot === 'firefighterRw')) return STATEMENT_AUDIT_SETTINGS;
  if (db.connectors.includes(role.name) || db.roles.owner.name === role.name) return STATEMENT_AUDIT_EXEMPT;
  return {};
}

function missingFindings(have: Map<string, string>, want: Map<string, WantedSetting>, report: (name: string, w: WantedSetting, h: string | undefined) => void): void {
  for (const [name, w] of want) {
    const h = have.get(name);
    if (h === undefined || !w.matches(h)) report(name, w, h);
  }
}

/** Findings and steps for every stored setting of managed roles and databases. */
export function diffSettings(model: RoleModel, facts: ClusterFacts, findings: Finding[], steps: Step[]): void {
  const roles = model.managed;
  const phase = 'database-settings' as const;
  const audit = facts.pgauditLoaded === true;
  // The master is exempted where it applies from; verify run as the verifier (a managed role) does not see it.
  const master = audit && !model.managedNames.has(facts.currentUser) ? facts.currentUser : undefined;
  for (const db of model.databases) {
    for (const role of roles) {
      const { g, slot } = guardrailsOf(role, db);
      const want = wantedSettings(g, slot, audit ? auditOf(role, db, slot) : {});
      const have = parsed(facts.roleSettings.find((s) => s.role === role.name && s.database === db.name)?.settings);
      const where = `ALTER ROLE ${quoteIdent(role.name)} IN DATABASE ${quoteIdent(db.name)}`;
      missingFindings(have, want, (name, w, h) => {
        findings.push({ code: 'role-setting', database: db.name, subject: role.name, message: `${role.name} in "${db.name}": ${name} is ${h ?? 'not set'}, expected ${w.shown}` });
        steps.push({ phase, database: db.name, sql: `${where} SET ${name} = ${w.sql}`, reason: `guardrail ${name} for ${role.name}` });
      });
      for (const [name, h] of have) {
        if (want.has(name)) continue;
        findings.push({ code: 'role-setting-extra', database: db.name, subject: role.name, message: `${role.name} in "${db.name}": ${name} = ${h} is set but not in the spec` });
        steps.push({ phase, database: db.name, sql: `${where} RESET ${settingName(name)}`, reason: `setting ${name} not in the spec` });
      }
    }
    if (master !== undefined) {
      const have = parsed(facts.roleSettings.find((s) => s.role === master && s.database === db.name)?.settings);
      missingFindings(have, wantedSettings(undefined, undefined, STATEMENT_AUDIT_EXEMPT), (name, w, h) => {
        findings.push({ code: 'master-setting', database: db.name, subject: master, message: `${master} (the master) in "${db.name}": ${name} is ${h ?? 'not set'}, expected ${w.shown}: its sessions may set passwords` });
        steps.push({ phase, database: db.name, sql: `ALTER ROLE ${quoteIdent(master)} IN DATABASE ${quoteIdent(db.name)} SET ${name} = ${w.sql}`, reason: `no statement audit for the master in "${db.name}"` });
      });
    }
    const dbWant = wantedSettings(undefined, undefined, audit ? STATEMENT_AUDIT_SETTINGS : {});
    const dbHave = parsed(facts.databaseSettings?.find((s) => s.database === db.name)?.settings);
    // As the master: the owner may not set a superuser setting (nor reset one the master set). ALTER DATABASE also
    // needs the owner's privileges, which on 16+ the master's SET-only membership in the owner does not give: it
    // inherits them for this transaction only (apply runs the database settings in one).
    const dbSteps: Step[] = [];
    missingFindings(dbHave, dbWant, (name, w, h) => {
      findings.push({ code: 'database-setting', database: db.name, subject: db.name, message: `database "${db.name}": ${name} is ${h ?? 'not set'}, expected ${w.shown} (the statement audit of per-person logins)` });
      dbSteps.push({ phase, database: db.name, sql: `ALTER DATABASE ${quoteIdent(db.name)} SET ${name} = ${w.sql}`, reason: `statement audit ${name} for every session in "${db.name}"` });
    });
    const borrow = dbSteps.length > 0 && facts.databaseOwnerUsable !== undefined && !facts.databaseOwnerUsable.includes(db.name);
    const owner = quoteIdent(db.roles.owner.name);
    if (borrow) steps.push({ phase, database: db.name, sql: `GRANT ${owner} TO CURRENT_USER WITH INHERIT TRUE`, reason: `act as the owner of "${db.name}" for its ALTER DATABASE, this transaction only` });
    steps.push(...dbSteps);
    if (borrow) steps.push({ phase, database: db.name, sql: `GRANT ${owner} TO CURRENT_USER WITH INHERIT FALSE`, reason: `back to the master's SET-only membership in the owner of "${db.name}"` });
    for (const [name, h] of dbHave) {
      if (dbWant.has(name)) continue;
      findings.push({ code: 'database-setting-extra', database: db.name, subject: db.name, message: `database "${db.name}": ${name} = ${h} is set for every session (ALTER DATABASE ... SET) but not in the spec` });
      // The owner may reset what it (or anyone) set with ALTER DATABASE on its own database.
      steps.push({ phase, database: db.name, runAs: db.roles.owner.name, sql: `ALTER DATABASE ${quoteIdent(db.name)} RESET ${settingName(name)}`, reason: `database-level setting ${name} not in the spec` });
    }
  }
  for (const row of facts.wideSettings ?? []) {
    for (const [name, h] of parsed(row.settings)) {
      findings.push({ code: 'role-setting-extra', subject: row.role, message: `${row.role}: ${name} = ${h} is set for every database (ALTER ROLE ... SET) but not in the spec` });
      steps.push({ phase: 'roles', sql: `ALTER ROLE ${quoteIdent(row.role)} RESET ${settingName(name)}`, reason: `role-wide setting ${name} not in the spec` });
    }
  }
}
