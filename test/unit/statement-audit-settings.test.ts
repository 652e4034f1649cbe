// The statement audit on the firefighter roles (issue 20, "the firefighter's statements are recorded"): where
// pgaudit is loaded, each firefighter role gets pgaudit.log = all and pgaudit.log_parameter = off in its database;
// verify reports a removed or weakened one and apply sets it again. Nothing else gets it (the password broker's
// session sets passwords), and nothing is asked of a server without pgaudit (the embedded test servers).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffSettings } from '../../lib/drift/checks/diff-settings.js';
import type { ClusterFacts } from '../../lib/drift/facts.js';
import type { Finding, Step } from '../../lib/plan/plan-types.js';
import { resolveModel } from '../../lib/model/model.js';
import { parseSpec } from '../../lib/spec/validate.js';

const model = resolveModel(parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'))));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';

/** The settings the roles already have in my-pg-db: everything the spec wants apart from the audit. */
function inSync(): { role: string; database: string; settings: string[] }[] {
  const steps: Step[] = [];
  diffSettings(model, { roleSettings: [], wideSettings: [], databaseSettings: [] } as unknown as ClusterFacts, [], steps);
  const settings = new Map<string, string[]>();
  for (const s of steps) {
    const m = /^ALTER ROLE "([^"]+)" IN DATABASE "[^"]+" SET (\S+) = (.*)$/.exec(s.sql);
    if (!m) continue;
    const [, role, name, value] = m as unknown as [string, string, string, string];
    settings.set(role, [...(settings.get(role) ?? []), `${name}=${value.replace(/^'|'$/g, '')}`]);
  }
  return [...settings].map(([role, list]) => ({ role, database: DB, settings: list }));
}

function diff(pgauditLoaded: boolean | undefined, roleSettings = inSync()) {
  const findings: Finding[] = [];
  const steps: Step[] = [];
  diffSettings(model, { roleSettings, wideSettings: [], databaseSettings: [], ...(pgauditLoaded === undefined ? {} : { pgauditLoaded }) } as unknown as ClusterFacts, findings, steps);
  return { findings: findings.map((f) => f.message), steps: steps.map((s) => s.sql) };
}

describe('the statement audit on the firefighter roles', () => {
  it('where pgaudit is loaded, apply sets it on both firefighter roles in their database, and on nothing else (old: nothing)', () => {
    const { findings, steps } = diff(true);
    expect(steps).toEqual([
      `ALTER ROLE "${RO}" IN DATABASE "${DB}" SET pgaudit.log = 'all'`,
      `ALTER ROLE "${RO}" IN DATABASE "${DB}" SET pgaudit.log_parameter = 'off'`,
      `ALTER ROLE "${RW}" IN DATABASE "${DB}" SET pgaudit.log = 'all'`,
      `ALTER ROLE "${RW}" IN DATABASE "${DB}" SET pgaudit.log_parameter = 'off'`,
    ]);
    expect(findings).toEqual([
      `${RO} in "${DB}": pgaudit.log is not set, expected all`,
      `${RO} in "${DB}": pgaudit.log_parameter is not set, expected off`,
      `${RW} in "${DB}": pgaudit.log is not set, expected all`,
      `${RW} in "${DB}": pgaudit.log_parameter is not set, expected off`,
    ]);
  });

  it('verify reports a removed or weakened audit and apply sets it again; off in any spelling is in sync', () => {
    const audited = inSync().map((r) => (r.role === RO || r.role === RW ? { ...r, settings: [...r.settings, 'pgaudit.log=all', 'pgaudit.log_parameter=false'] } : r));
    expect(diff(true, audited)).toEqual({ findings: [], steps: [] });
    const weakened = audited.map((r) => (r.role === RW ? { ...r, settings: r.settings.filter((s) => !s.startsWith('pgaudit.log=')).concat('pgaudit.log=ddl') } : r));
    expect(diff(true, weakened)).toEqual({
      findings: [`${RW} in "${DB}": pgaudit.log is ddl, expected all`],
      steps: [`ALTER ROLE "${RW}" IN DATABASE "${DB}" SET pgaudit.log = 'all'`],
    });
    const removed = audited.map((r) => (r.role === RO ? { ...r, settings: r.settings.filter((s) => !s.startsWith('pgaudit.')) } : r));
    expect(diff(true, removed).findings).toEqual([`${RO} in "${DB}": pgaudit.log is not set, expected all`, `${RO} in "${DB}": pgaudit.log_parameter is not set, expected off`]);
  });

  it.each([[false], [undefined]])('without pgaudit loaded (%s) nothing is asked: the roles stay as the guardrails want them', (loaded) => {
    expect(diff(loaded)).toEqual({ findings: [], steps: [] });
  });
});
