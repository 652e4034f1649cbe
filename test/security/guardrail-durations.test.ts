// Guardrails are limits (issue 8, item 8): a duration that disables or defeats a timeout is refused with the
// field named, before any connection; and `adopt` is a plain boolean on every role (item 4).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveModel } from '../../lib/model/model.js';
import { claimRoles, renderMark } from '../../lib/model/role-mark.js';
import { parseSpec, SpecError } from '../../lib/spec/validate.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'));

function issuesOf(mutate: (spec: Record<string, any>) => void): string[] {
  const spec = structuredClone(reference);
  mutate(spec);
  try {
    parseSpec(spec);
  } catch (error) {
    if (error instanceof SpecError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

const ff = 'databases[0].roles.firefighterRw.guardrails';

describe('guardrail durations', () => {
  it.each([
    ['statementTimeout', '0', `${ff}.statementTimeout: "0" disables the timeout; use at least "1s", or remove the field`],
    ['statementTimeout', '0min', `${ff}.statementTimeout: "0min" disables the timeout; use at least "1s", or remove the field`],
    ['lockTimeout', '999', `${ff}.lockTimeout: "999" is under 1 second, which defeats the timeout; use at least "1s", or remove the field`],
    ['lockTimeout', '500ms', `${ff}.lockTimeout: "500ms" is under 1 second, which defeats the timeout`],
    ['idleInTransactionSessionTimeout', '999999us', `${ff}.idleInTransactionSessionTimeout: "999999us" is under 1 second`],
    ['statementTimeout', '30d', `${ff}.statementTimeout: "30d" is longer than PostgreSQL's maximum of 2147483647ms (about 24 days); use a shorter duration`],
  ])('%s %s is refused', (field, value, expected) => {
    expect(issuesOf((s) => (s.databases[0].roles.firefighterRw.guardrails[field] = value)).join('\n')).toContain(expected);
  });

  it.each(['1s', '1000', '1000ms', '1000000us', '5min', '2h', '24d'])('%s is accepted', (value) => {
    expect(issuesOf((s) => (s.databases[0].roles.firefighterRw.guardrails.statementTimeout = value))).toEqual([]);
  });
});

describe('adopt', () => {
  it('is accepted as a boolean on every role and refused otherwise', () => {
    expect(issuesOf((s) => {
      s.admin.adopt = true;
      s.passwordBroker.adopt = false;
      for (const r of Object.values(s.databases[0].roles) as Record<string, unknown>[]) r.adopt = true;
    })).toEqual([]);
    expect(issuesOf((s) => (s.databases[0].roles.owner.adopt = 'yes'))).toEqual(['databases[0].roles.owner.adopt: must be true or false, got "yes"']);
  });

  it('claims: create what is missing, own what it marked, adopt only unmarked roles it was told to, refuse the rest', () => {
    const s = structuredClone(reference);
    s.databases[0].roles.app.adopt = true;
    const spec = parseSpec(s);
    const mine = renderMark({ cluster: 'my-pg', databases: ['my-pg-db'] });
    const claims = claimRoles(resolveModel(spec), new Map<string, string | null>([
      ['my_pg_admin', mine],
      ['my_pg_app', null],
      ['my_pg_migrator', 'hand-made by the DBA'],
      ['my_pg_owner', renderMark({ cluster: 'my-pg', databases: ['another-db'] })],
      ['my_pg_firefighter_ro', 'cdk-aurora-firefighter:{not json'],
    ]));
    expect(Object.fromEntries(claims.map((c) => [c.role.name, c.kind]))).toEqual({
      my_pg_admin: 'own', my_pg_password_broker: 'create', my_pg_owner: 'refuse', my_pg_migrator: 'refuse',
      my_pg_app: 'adopt', my_pg_firefighter_ro: 'refuse', my_pg_firefighter_rw: 'create',
    });
  });
});
