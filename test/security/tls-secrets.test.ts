// Issue 8.3 (and 9.5, at the end): a password reaches a host that is not this machine only over TLS with a verified certificate, unless
// the user passes --insecure-skip-tls-verify. The host is `db.firefighter.test`, which resolves to 127.0.0.1 in this
// process only (test/support/host-alias.ts): the code sees a remote name, the bytes stay local. A fake server that
// asks for a cleartext password records what arrives, so "refused before any password is sent" is measured, not
// assumed; the same fake with the opt-out shows the oracle would see a password if one were sent.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { main as rolemodel } from '../../bin/rolemodel.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { MASTER_PASSWORD, startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { startFakePg, type FakePg } from '../support/fake-pg.js';
import { ALIAS_HOST, aliasToLoopback } from '../support/host-alias.js';
import { makeTls } from '../support/tls.js';

const SPEC = new URL('../../examples/reference.json', import.meta.url).pathname;
const SECRET = 'tls-secret-password-0123456789abcdef';
// The broker is in rds_iam: it logs in with an (emulated) IAM token, issued in beforeAll.
let BROKER_PASSWORD = '';
const execFileAsync = promisify(execFile);
const CHILD = new URL('../support/broker-connect-child.ts', import.meta.url).pathname;

async function runRolemodel(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await rolemodel(argv, (l) => out.push(l), (l) => err.push(l), env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function runFf(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runFirefighter(argv, { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe.each(testedMajors())('passwords travel only over verified TLS (issue 8.3) on PostgreSQL %i', (major) => {
  let unalias: () => void;
  let plain: FakePg;
  let otherCaFake: FakePg;
  let server: EmbeddedServer;
  let caFile: string;
  let otherCaFile: string;

  beforeAll(async () => {
    unalias = aliasToLoopback();
    const dir = mkdtempSync(path.join(tmpdir(), 'tls-secrets-'));
    const tls = makeTls([ALIAS_HOST]);
    const other = makeTls([ALIAS_HOST]);
    caFile = path.join(dir, 'ca.pem');
    otherCaFile = path.join(dir, 'other-ca.pem');
    writeFileSync(caFile, tls.ca);
    writeFileSync(otherCaFile, other.ca);
    plain = await startFakePg();
    // A server with a valid certificate for the name, from a CA the client was not told to trust.
    otherCaFake = await startFakePg({ tls: { cert: other.cert, key: other.key } });
    server = await startEmbeddedServer({ major, tls });
  });
  afterAll(async () => {
    unalias?.();
    await Promise.all([plain?.close(), otherCaFake?.close(), server?.stop()]);
  });

  const fakeUrl = (fake: FakePg, query = '') => `postgres://postgres:${SECRET}@${ALIAS_HOST}:${fake.port}/postgres${query}`;

  describe('rolemodel', () => {
    it.each([
      ['no sslmode (the README\'s URL form) with PGSSLMODE=disable', '', { PGSSLMODE: 'disable' }],
      ['sslmode=disable', '?sslmode=disable', {}],
      ['sslmode=no-verify', '?sslmode=no-verify', {}],
      ['sslmode=require', '?sslmode=require', {}],
      ['sslmode=prefer', '?sslmode=prefer', {}],
      ['sslmode=verify-ca', `?sslmode=verify-ca&sslrootcert=CA`, {}],
      ['PGSSLMODE=require', '', { PGSSLMODE: 'require' }],
    ])('refuses %s to a remote name before opening a connection (exit 2)', async (_name, q, env) => {
      const before = plain.connections;
      const seen = plain.received().length;
      const r = await runRolemodel(['verify', '--database-url', fakeUrl(plain, q.replace('CA', encodeURIComponent(caFile))), '--spec', SPEC], env);
      expect(plain.received().slice(seen)).not.toContain(SECRET);
      expect(plain.connections - before).toBe(0);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^rolemodel: sslmode=[a-z-]+ (does not verify the server's certificate|sends the password in plaintext), and ${ALIAS_HOST.replace(/\./g, '\\.')} is not a loopback address, .* or pass --insecure-skip-tls-verify to send it anyway$`));
      expect(r.out + r.err).not.toContain(SECRET);
    });

    it('the README\'s URL form (no sslmode) means verify-full: a server without TLS never sees the password', async () => {
      const seen = plain.received().length;
      const r = await runRolemodel(['verify', '--database-url', fakeUrl(plain), '--spec', SPEC]);
      expect(plain.received().slice(seen)).not.toContain(SECRET);
      expect(r.code).toBe(1);
      expect(r.err).toContain('The server does not support SSL connections');
    });

    it('without sslmode verifies the certificate: another CA\'s certificate is refused before authentication', async () => {
      const r = await runRolemodel(['verify', '--database-url', fakeUrl(otherCaFake, `?sslrootcert=${encodeURIComponent(caFile)}`), '--spec', SPEC]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/self-signed certificate in certificate chain|unable to verify/);
      expect(otherCaFake.connections).toBeGreaterThan(0);
      expect(otherCaFake.received()).not.toContain(SECRET);
      expect(r.out + r.err).not.toContain(SECRET);
    });

    it('the fake server does see a password when the user opts out, and the CLI says so loudly', async () => {
      const seen = plain.received().length;
      const r = await runRolemodel(['verify', '--insecure-skip-tls-verify', '--database-url', fakeUrl(plain, '?sslmode=disable'), '--spec', SPEC]);
      expect(plain.received().slice(seen)).toContain(SECRET);
      expect(r.code).toBe(1);
      expect(r.err.split('\n')[0]).toBe(`rolemodel: WARNING: --insecure-skip-tls-verify: the password goes to ${ALIAS_HOST} in plaintext; anyone who can intercept the connection can read it`);
    });

    it('verify-full by name succeeds against a real server whose certificate names the host (default sslmode, sslrootcert in the URL)', async () => {
      const url = `postgres://postgres:${MASTER_PASSWORD}@${ALIAS_HOST}:${server.port}/postgres?sslrootcert=${encodeURIComponent(caFile)}`;
      const apply = await runRolemodel(['apply', '--database-url', url, '--spec', SPEC]);
      expect([apply.code, apply.err]).toEqual([0, '']);
      // PGSSLROOTCERT works the same way when the URL names no CA.
      const verify = await runRolemodel(['verify', '--database-url', url.replace(/\?.*$/, ''), '--spec', SPEC], { PGSSLROOTCERT: caFile });
      expect([verify.code, verify.err]).toEqual([0, '']);
      const other = await runRolemodel(['verify', '--database-url', url.replace(encodeURIComponent(caFile), encodeURIComponent(otherCaFile)), '--spec', SPEC]);
      expect(other.code).toBe(1);
      expect(other.err).toMatch(/self-signed certificate in certificate chain|unable to verify/);
    });
  });

  it('the engine API refuses the same for library callers (a plain URL to a remote name), before connecting', async () => {
    const spec = parseSpec(JSON.parse(readFileSync(SPEC, 'utf8')));
    const before = plain.connections;
    const seen = plain.received().length;
    await expect(verifyRoleModel(spec, { connectionString: fakeUrl(plain) })).rejects.toThrow(`refusing to send the password to ${ALIAS_HOST} without a verified certificate; connect with sslmode=verify-full`);
    await expect(applyRoleModel(spec, { host: ALIAS_HOST, port: plain.port, user: 'postgres', password: SECRET, ssl: { rejectUnauthorized: false } })).rejects.toThrow(/^refusing to send the password/);
    expect(plain.received().slice(seen)).not.toContain(SECRET);
    expect(plain.connections - before).toBe(0);
  });

  describe('firefighter --direct', () => {
    beforeAll(async () => {
      const spec = parseSpec(JSON.parse(readFileSync(SPEC, 'utf8')));
      await applyRoleModel(spec, { host: '127.0.0.1', port: server.port, user: 'postgres', password: MASTER_PASSWORD, database: 'postgres', ssl: { ca: readFileSync(caFile, 'utf8') } });
      BROKER_PASSWORD = await server.issueIamToken('my_pg_password_broker');
    });

    it.each([
      ['sslmode=require', '?sslmode=require', {}],
      ['sslmode=disable', '?sslmode=disable', {}],
      ['PGSSLMODE=no-verify', '', { PGSSLMODE: 'no-verify' }],
    ])('refuses %s to a remote name before opening a connection (exit 2)', async (_name, q, env) => {
      const before = plain.connections;
      const seen = plain.received().length;
      const r = await runFf(['status', '--direct', '--database-url', fakeUrl(plain, q).replace('/postgres', '/my-pg-db')], env);
      expect(plain.received().slice(seen)).not.toContain(SECRET);
      expect(plain.connections - before).toBe(0);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is not a loopback address, .* or pass --insecure-skip-tls-verify to send it anyway$/);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    });

    it('verify-full by name works with --ca, and refuses a server whose certificate another CA signed', async () => {
      const url = `postgres://my_pg_password_broker:${encodeURIComponent(BROKER_PASSWORD)}@${ALIAS_HOST}:${server.port}/my-pg-db`;
      const ok = await runFf(['status', '--direct', '--database-url', url, '--ca', caFile, '--json']);
      expect([ok.code, ok.stderr]).toEqual([0, '']);
      expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, action: 'status' });
      const refused = await runFf(['status', '--direct', '--database-url', url, '--ca', otherCaFile]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/self-signed certificate in certificate chain|unable to verify/);
      expect(refused.stderr).not.toContain(BROKER_PASSWORD);
    });
  });


  // Issue 9.5: the Lambdas pass no CA and rely on NODE_EXTRA_CA_CERTS (/var/runtime/ca-cert.pem holds the RDS CAs).
  describe('default trust path: the broker connector in a child node with NODE_EXTRA_CA_CERTS (issue 9.5)', () => {
    // Asynchronous: the fake server lives in this process and must keep answering while the child runs.
    const child = async (host: string, port: number, extraCa: string | undefined) => {
      const r = await execFileAsync(process.execPath, ['--import', 'tsx', CHILD, host, String(port), 'postgres', 'postgres'], {
        encoding: 'utf8', timeout: 60_000,
        env: { PATH: process.env.PATH, CHILD_PG_PASSWORD: SECRET_FOR_CHILD, ...(extraCa ? { NODE_EXTRA_CA_CERTS: extraCa } : {}) },
      });
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as { ok: boolean; ssl?: boolean; error?: string };
    };
    const SECRET_FOR_CHILD = MASTER_PASSWORD;

    it('verify-full with no explicit CA succeeds when NODE_EXTRA_CA_CERTS holds the server\'s CA', async () => {
      expect(await child('127.0.0.1', server.port, caFile)).toEqual({ ok: true, ssl: true });
    });

    it('is refused without it (Node\'s own store does not know the CA): the variable is what makes the path work', async () => {
      expect(await child('127.0.0.1', server.port, undefined)).toEqual({ ok: false, error: expect.stringMatching(/self-signed certificate in certificate chain|unable to verify/) });
    });

    it('refuses a server whose certificate another CA signed, before any password is sent', async () => {
      const seen = otherCaFake.received().length;
      expect(await child('127.0.0.1', otherCaFake.port, caFile)).toEqual({ ok: false, error: expect.stringMatching(/self-signed certificate in certificate chain|unable to verify/) });
      expect(otherCaFake.received().slice(seen)).not.toContain(MASTER_PASSWORD);
    });
  });
});
