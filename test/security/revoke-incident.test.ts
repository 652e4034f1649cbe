// A revoke is checked against the holder (issue 17, item 5): `revoke ro --incident INC-999` while the caller
// holds ro for ops-123 is refused naming ops-123 (exit 2), changes nothing and audits nothing; revoking what the
// caller does not hold says "nothing to revoke" (exit 1); --all still ends it whoever holds it. Shared and
// per-person logins, through the CLI's --direct path (the CLI's account is the caller) against a real server.
// Old: the wrong incident expired the role and audited INC-999; nothing held printed success (exit 0).
import { parseSpec } from '../../lib/spec/validate.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { directConfig, directConnector, parseDirectUrl } from '../../lib/broker/direct.js';
import { createBrokerService } from '../../lib/broker/service.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec, reference } from '../support/per-person-spec.js';

const DB = 'my-pg-db';
const BOB = 'arn:aws:iam::123456789012:user/bob';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function suite(mode: 'shared' | 'per-person', spec: RoleModelSpec) {
  describe.each(testedMajors())(`revoke checks the incident against the holder (${mode}) on PostgreSQL %i`, (major) => {
    let server: EmbeddedServer;
    let url: string;

    async function cli(...args: string[]) {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await runFirefighter([...args, '--direct', '--database-url', url], { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: {} });
      return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
    }
    async function bob(event: Record<string, unknown>) {
      const target = await parseDirectUrl(url, {});
      const connect = directConnector(target);
      return createBrokerService({ config: await directConfig(target, connect), connect, sslmode: target.tls.mode, logger: quiet, identity: { trusted: BOB } })(event);
    }
    /** What a revoke could change: the roles' validity, the logins' expiries, every audit row. */
    async function state() {
      const admin = (sql: string) => queryAs(server.masterUrl(DB), 'my_pg_admin', sql);
      return {
        roles: await admin(`SELECT r.rolname, r.rolvaliduntil FROM pg_roles r WHERE r.rolname LIKE 'my\\_pg\\_firefighter\\_%' ORDER BY 1`),
        holders: await admin('SELECT role, holder, incident_id, expires_at FROM db_admin.firefighter_role ORDER BY 1'),
        history: await admin('SELECT action, role, login, actor, incident_id FROM db_admin.firefighter_history() ORDER BY at, action'),
      };
    }

    beforeAll(async () => {
      server = await startEmbeddedServer({ major });
      await applyRoleModel(spec, { connectionString: server.masterUrl() });
      url = server.url('my_pg_password_broker', await server.issueIamToken('my_pg_password_broker'), DB);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('revoke for another incident than the one held is refused naming it (exit 2), changes nothing and audits nothing', async () => {
      expect((await cli('request', 'ro', '--incident', 'ops-123', '--reason', 'hold it')).code).toBe(0);
      const before = await state();
      const out = await cli('revoke', 'ro', '--incident', 'INC-999');
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/^firefighter: refused \(REFUSED\): you hold (a login of )?my_pg_firefighter_ro for incident ops-123, not INC-999: nothing was revoked$/);
      expect(await state()).toEqual(before);
      expect(JSON.stringify(before.history)).not.toContain('INC-999');
      // The right incident still works.
      const done = await cli('revoke', 'ro', '--incident', 'ops-123');
      expect(done.code).toBe(0);
      expect(done.stdout).toMatch(/my_pg_firefighter_ro.* (expired at|revoked)/);
    });

    it('revoking what nobody holds says "nothing to revoke" with exit 1, in --json too, and changes nothing', async () => {
      const before = await state();
      const out = await cli('revoke', 'ro', '--incident', 'ops-123');
      expect([out.code, out.stdout]).toEqual([1, '']);
      expect(out.stderr).toMatch(/^firefighter: not done \(NOTHING_TO_REVOKE\): .*nothing to revoke$/);
      const json = await cli('revoke', 'ro', '--incident', 'ops-123', '--json');
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: 'NOTHING_TO_REVOKE', refusal: false, exitCode: 1, message: expect.stringMatching(/nothing to revoke$/) });
      expect(await state()).toEqual(before);
    });

    it('nothing to revoke is audited as a refusal (a warning), not as a failure that would page the failure alarm', async () => {
      const lines: { level: string; attributes: Record<string, unknown> }[] = [];
      const at = (level: string) => (_m: string, attributes: Record<string, unknown>) => void lines.push({ level, attributes });
      const target = await parseDirectUrl(url, {});
      const connect = directConnector(target);
      const service = createBrokerService({ config: await directConfig(target, connect), connect, sslmode: target.tls.mode, logger: { info: at('info'), warn: at('warn'), error: at('error') }, identity: { trusted: BOB } });
      expect(await service({ action: 'revoke', role: 'rw', incidentId: 'INC-Z', reason: 'twice' })).toMatchObject({ ok: false, code: 'NOTHING_TO_REVOKE', refusal: false });
      expect(lines).toEqual([{ level: 'warn', attributes: expect.objectContaining({ action: 'revoke', outcome: 'refused', code: 'NOTHING_TO_REVOKE' }) }]);
    });

    it('what someone else holds is not the caller\'s to revoke (exit 1, unchanged); --all ends it, audited as the caller\'s', async () => {
      expect(await bob({ action: 'request', role: 'ro', incidentId: 'INC-B', reason: 'bob works' })).toMatchObject({ ok: true });
      const before = await state();
      const out = await cli('revoke', 'ro', '--incident', 'INC-B');
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/\(NOTHING_TO_REVOKE\): .*nothing (of yours )?to revoke$/);
      expect(await state()).toEqual(before);
      const all = await cli('revoke', 'ro', '--incident', 'INC-B', '--all', '--json');
      expect(all.code).toBe(0);
      expect(JSON.parse(all.stdout)).toMatchObject({ ok: true, action: 'revoke', role: 'my_pg_firefighter_ro' });
      expect(await bob({ action: 'extend', role: 'ro', incidentId: 'INC-B', reason: 'still mine?', hours: 1 })).toMatchObject({ ok: false, refusal: true });
      // Nothing left: --all says so too.
      expect((await cli('revoke', 'ro', '--incident', 'INC-B', '--all')).code).toBe(1);
    });
  });
}

suite('shared', parseSpec(reference));
suite('per-person', perPersonSpec);
