// The statement audit (issue 20, "the firefighter's statements are recorded"): where pgaudit is loaded, each
// managed database audits every session by default (pgaudit.log = all, pgaudit.log_parameter = off), so a
// per-person login db_admin creates is audited without a setting of its own; the firefighter roles keep theirs;
// every other role that connects, and the applying master, get pgaudit.log = none in the database (the broker's
// session sends verifiers, the master's may change passwords). Verify reports a removed or weakened one and apply
// sets it again; nothing is asked of a server without pgaudit (the embedded test servers).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffSettings } from '../../lib/drift/checks/diff-settings.js';
import type { ClusterFacts } from '../../lib/drift/facts.js';
import type { Finding, Step } from '../../lib/plan/plan-types.js';
import { resolveModel } from '../../lib/model/model.js';
import { parseSpec } from '../../lib/spec/validate.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const model = resolveModel(parseSpec(reference));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const MASTER = 'postgres';
const EXEMPT = ['my_pg_admin', 'my_pg_password_broker', 'my_pg_owner', 'my_pg_migrator', 'my_pg_app'];

type Settings = { role: string; database: string; settings: string[] }[];

/** The settings the roles already have in my-pg-db: everything the spec wants apart from the audit. */
function inSync(): Settings {
  const steps: Step[] = [];
  diffSettings(model, { roleSettings: [], wideSettings: [], databaseSettings: [], currentUser: MASTER } as unknown as ClusterFacts, [], steps);
  const settings = new Map<string, string[]>();
  for (const s of steps) {
    const m = /^ALTER ROLE "([^"]+)" IN DATABASE "[^"]+" SET (\S+) = (.*)$/.exec(s.sql);
    if (!m) continue;
    const [, role, name, value] = m as unknown as [string, string, string, string];
    settings.set(role, [...(settings.get(role) ?? []), `${name}=${value.replace(/^'|'$/g, '')}`]);
  }
  return [...settings].map(([role, list]) => ({ role, database: DB, settings: list }));
}

function withSetting(rows: Settings, role: string, ...kv: string[]): Settings {
  return rows.some((r) => r.role === role) ? rows.map((r) => (r.role === role ? { ...r, settings: [...r.settings, ...kv] } : r)) : [...rows, { role, database: DB, settings: kv }];
}

/** Everything the audit wants, in place. */
function audited(): { roleSettings: Settings; databaseSettings: { database: string; settings: string[] }[] } {
  let rows = inSync();
  for (const role of [RO, RW]) rows = withSetting(rows, role, 'pgaudit.log=all', 'pgaudit.log_parameter=false');
  for (const role of [...EXEMPT, MASTER]) rows = withSetting(rows, role, 'pgaudit.log=none');
  return { roleSettings: rows, databaseSettings: [{ database: DB, settings: ['pgaudit.log=all', 'pgaudit.log_parameter=off'] }] };
}

function diff(pgauditLoaded: boolean | undefined, facts: Partial<ReturnType<typeof audited>> = {}, currentUser = MASTER, m = model) {
  const findings: Finding[] = [];
  const steps: Step[] = [];
  diffSettings(m, { roleSettings: inSync(), wideSettings: [], databaseSettings: [], currentUser, ...facts, ...(pgauditLoaded === undefined ? {} : { pgauditLoaded }) } as unknown as ClusterFacts, findings, steps);
  return { findings: findings.map((f) => `${f.code}: ${f.message}`), steps: steps.map((s) => `${s.runAs ? `[as ${s.runAs}] ` : ''}${s.sql}`) };
}

describe('the statement audit', () => {
  it('where pgaudit is loaded, apply audits the database by default, the firefighter roles explicitly, and exempts every other role that connects and the master (old: the firefighter roles only)', () => {
    const { findings, steps } = diff(true);
    expect(steps).toEqual([
      `ALTER ROLE "my_pg_admin" IN DATABASE "${DB}" SET pgaudit.log = 'none'`,
      `ALTER ROLE "my_pg_password_broker" IN DATABASE "${DB}" SET pgaudit.log = 'none'`,
      `ALTER ROLE "my_pg_owner" IN DATABASE "${DB}" SET pgaudit.log = 'none'`,
      `ALTER ROLE "my_pg_migrator" IN DATABASE "${DB}" SET pgaudit.log = 'none'`,
      `ALTER ROLE "my_pg_app" IN DATABASE "${DB}" SET pgaudit.log = 'none'`,
      `ALTER ROLE "${RO}" IN DATABASE "${DB}" SET pgaudit.log = 'all'`,
      `ALTER ROLE "${RO}" IN DATABASE "${DB}" SET pgaudit.log_parameter = 'off'`,
      `ALTER ROLE "${RW}" IN DATABASE "${DB}" SET pgaudit.log = 'all'`,
      `ALTER ROLE "${RW}" IN DATABASE "${DB}" SET pgaudit.log_parameter = 'off'`,
      `ALTER ROLE "${MASTER}" IN DATABASE "${DB}" SET pgaudit.log = 'none'`,
      // As the master, not the owner: the owner may not set a superuser setting.
      `ALTER DATABASE "${DB}" SET pgaudit.log = 'all'`,
      `ALTER DATABASE "${DB}" SET pgaudit.log_parameter = 'off'`,
    ]);
    expect(findings).toEqual([
      ...EXEMPT.map((r) => `role-setting: ${r} in "${DB}": pgaudit.log is not set, expected none`),
      `role-setting: ${RO} in "${DB}": pgaudit.log is not set, expected all`,
      `role-setting: ${RO} in "${DB}": pgaudit.log_parameter is not set, expected off`,
      `role-setting: ${RW} in "${DB}": pgaudit.log is not set, expected all`,
      `role-setting: ${RW} in "${DB}": pgaudit.log_parameter is not set, expected off`,
      `master-setting: ${MASTER} (the master) in "${DB}": pgaudit.log is not set, expected none: its sessions may set passwords`,
      `database-setting: database "${DB}": pgaudit.log is not set, expected all (the statement audit of per-person logins)`,
      `database-setting: database "${DB}": pgaudit.log_parameter is not set, expected off (the statement audit of per-person logins)`,
    ]);
  });

  it('in sync: nothing to do; off in any spelling is in sync', () => {
    expect(diff(true, audited())).toEqual({ findings: [], steps: [] });
  });

  it('verify reports a weakened database default, a removed exemption (the broker would log its verifiers) and a weakened firefighter role; apply sets each again', () => {
    const a = audited();
    const weakened = {
      databaseSettings: [{ database: DB, settings: ['pgaudit.log=ddl', 'pgaudit.log_parameter=on'] }],
      roleSettings: a.roleSettings.map((r) => (r.role === 'my_pg_password_broker' ? { ...r, settings: [] }
        : r.role === RW ? { ...r, settings: r.settings.filter((s) => !s.startsWith('pgaudit.log=')).concat('pgaudit.log=ddl') }
          : r.role === MASTER ? { ...r, settings: ['pgaudit.log=read'] } : r)),
    };
    expect(diff(true, weakened)).toEqual({
      findings: [
        `role-setting: my_pg_password_broker in "${DB}": pgaudit.log is not set, expected none`,
        `role-setting: ${RW} in "${DB}": pgaudit.log is ddl, expected all`,
        `master-setting: ${MASTER} (the master) in "${DB}": pgaudit.log is read, expected none: its sessions may set passwords`,
        `database-setting: database "${DB}": pgaudit.log is ddl, expected all (the statement audit of per-person logins)`,
        `database-setting: database "${DB}": pgaudit.log_parameter is on, expected off (the statement audit of per-person logins)`,
      ],
      steps: [
        `ALTER ROLE "my_pg_password_broker" IN DATABASE "${DB}" SET pgaudit.log = 'none'`,
        `ALTER ROLE "${RW}" IN DATABASE "${DB}" SET pgaudit.log = 'all'`,
        `ALTER ROLE "${MASTER}" IN DATABASE "${DB}" SET pgaudit.log = 'none'`,
        `ALTER DATABASE "${DB}" SET pgaudit.log = 'all'`,
        `ALTER DATABASE "${DB}" SET pgaudit.log_parameter = 'off'`,
      ],
    });
  });

  it('verify as the verifier (a managed role) checks its exemption, not the master\'s it cannot know', () => {
    const withVerifier = resolveModel(parseSpec({ ...reference, verifier: { name: 'my_pg_verifier' } }));
    const a = audited();
    expect(diff(true, a, 'my_pg_verifier', withVerifier).findings).toEqual([`role-setting: my_pg_verifier in "${DB}": pgaudit.log is not set, expected none`]);
  });

  it.each([[false], [undefined]])('without pgaudit loaded (%s) nothing is asked: the roles and the database stay as the guardrails want them', (loaded) => {
    expect(diff(loaded)).toEqual({ findings: [], steps: [] });
  });
});
