// lib/postgres/tls.ts: which TLS a password travels with, from libpq's sslmode/sslrootcert/PGSSLMODE/PGSSLROOTCERT
// and the opt-out; every refusal says what to do. (The integration test tls-secrets.test.ts shows the refusals
// happen before a byte reaches the server.)
import { describe, expect, it } from 'vitest';
import { decideTls, isLoopbackHost, isRdsHost, pgSsl, refuseUnverifiedTls, tlsRequestFromUrl, TlsRefusal, type TlsRequest } from '../../lib/postgres/tls.js';

const RDS = 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com';
const deps = { readFile: (f: string) => `PEM of ${f}`, rdsCa: async () => ['RDS ROOT 1', 'RDS ROOT 2'] };

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true], ['127.8.9.10', true], ['::1', true], ['[::1]', true], ['localhost', true], ['LOCALHOST.', true],
    ['/var/run/postgresql', true], ['::ffff:127.0.0.1', true],
    // Names that merely resolve to 127.0.0.1 are remote: /etc/hosts or DNS can point them anywhere.
    ['vm', false], ['db.firefighter.test', false], ['localhost.localdomain', false], ['foo.localhost', false],
    ['127.0.0.1.nip.io', false], ['10.0.0.5', false], ['128.0.0.1', false], ['::2', false], [RDS, false],
  ])('%s -> %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it('knows RDS endpoints', () => {
    expect([RDS, 'x.proxy-abc.eu-west-1.rds.amazonaws.com', 'rds.amazonaws.com.evil.example', 'example.com'].map(isRdsHost)).toEqual([true, true, false, false]);
  });
});

describe('decideTls', () => {
  it.each<[string, TlsRequest, object]>([
    ['a remote host defaults to verify-full with Node\'s trust store', { host: 'db.example.com' }, { tls: { mode: 'verify-full' }, trust: { kind: 'system' } }],
    ['an RDS host defaults to verify-full with the RDS CAs', { host: RDS }, { tls: { mode: 'verify-full', ca: ['RDS ROOT 1', 'RDS ROOT 2'] }, trust: { kind: 'rds' } }],
    ['sslrootcert replaces the RDS default', { host: RDS, sslrootcert: '/ca.pem' }, { tls: { mode: 'verify-full', ca: 'PEM of /ca.pem' }, trust: { kind: 'file', file: '/ca.pem' } }],
    ['sslrootcert=system is Node\'s trust store', { host: RDS, sslmode: 'verify-full', sslrootcert: 'system' }, { tls: { mode: 'verify-full' }, trust: { kind: 'system' } }],
    ['loopback keeps pg\'s default (plaintext)', { host: '127.0.0.1' }, { tls: { mode: 'disable' }, trust: { kind: 'none' } }],
    ['loopback may skip verification', { host: 'localhost', sslmode: 'require' }, { tls: { mode: 'no-verify' }, trust: { kind: 'none' } }],
    ['loopback require with a root cert is verify-ca, as in libpq', { host: '::1', sslmode: 'require', sslrootcert: '/ca.pem' }, { tls: { mode: 'verify-ca', ca: 'PEM of /ca.pem' }, trust: { kind: 'file', file: '/ca.pem' } }],
    ['the opt-out makes the default TLS without verification', { host: 'db.example.com', insecureSkipTlsVerify: true }, { tls: { mode: 'no-verify', insecureSkipTlsVerify: true }, trust: { kind: 'none' }, warning: 'WARNING: --insecure-skip-tls-verify: the password goes to db.example.com over TLS without checking the certificate; anyone who can intercept the connection can read it' }],
    ['the opt-out allows plaintext when asked for', { host: 'db.example.com', sslmode: 'disable', insecureSkipTlsVerify: true }, { tls: { mode: 'disable', insecureSkipTlsVerify: true }, trust: { kind: 'none' }, warning: expect.stringContaining('in plaintext') }],
    ['the opt-out leaves verify-full alone, without a warning', { host: RDS, sslmode: 'verify-full', insecureSkipTlsVerify: true }, { tls: { mode: 'verify-full', ca: ['RDS ROOT 1', 'RDS ROOT 2'], insecureSkipTlsVerify: true }, trust: { kind: 'rds' } }],
  ])('%s', async (_name, request, expected) => {
    const decision = await decideTls(request, deps);
    expect(decision).toEqual(expected);
  });

  it.each(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'no-verify'])('refuses sslmode=%s to a remote host without the opt-out', async (sslmode) => {
    const refusal = decideTls({ host: 'db.firefighter.test', sslmode, sslrootcert: '/ca.pem' }, deps);
    await expect(refusal).rejects.toBeInstanceOf(TlsRefusal);
    await expect(refusal).rejects.toThrow(/^sslmode=[a-z-]+ (does not verify the server's certificate|sends the password in plaintext), and db\.firefighter\.test is not a loopback address, so anyone on the way could read the password; use sslmode=verify-full \(the default; with sslrootcert=FILE when the server's CA is private\), or pass --insecure-skip-tls-verify to send it anyway$/);
  });

  it('refuses an unknown sslmode and an unreadable CA file, naming them', async () => {
    await expect(decideTls({ host: '127.0.0.1', sslmode: 'verify_full' })).rejects.toThrow('sslmode "verify_full" is not one of disable, allow, prefer, require, verify-ca, verify-full, no-verify; use verify-full');
    await expect(decideTls({ host: RDS, sslrootcert: '/nonexistent/ca.pem' })).rejects.toThrow('cannot read the CA file /nonexistent/ca.pem (sslrootcert): ENOENT; give a PEM file, or sslrootcert=system for Node\'s trust store');
  });
});

describe('pgSsl', () => {
  it('verifies chain and host name for verify-full (no checkServerIdentity override)', () => {
    expect(pgSsl(RDS, { mode: 'verify-full', ca: 'PEM' })).toEqual({ rejectUnauthorized: true, ca: 'PEM' });
    expect(pgSsl('127.0.0.1', { mode: 'disable' })).toBe(false);
    expect(pgSsl('db.example.com', { mode: 'no-verify', insecureSkipTlsVerify: true })).toEqual({ rejectUnauthorized: false });
  });

  it('refuses weaker modes to a remote host without the opt-out', () => {
    expect(() => pgSsl('db.example.com', { mode: 'no-verify' })).toThrow('tls mode "no-verify" is refused for db.example.com: only a loopback host may be reached without a verified certificate; use verify-full with the server\'s CA, or pass --insecure-skip-tls-verify');
    expect(() => pgSsl('10.0.0.5', { mode: 'require' } as never)).toThrow('tls mode "require" is not supported; use verify-full');
  });
});

describe('tlsRequestFromUrl', () => {
  it('takes sslmode and sslrootcert out of the URL, which wins over PGSSLMODE and PGSSLROOTCERT', () => {
    const parsed = tlsRequestFromUrl('postgres://master@db.example.com:5432/postgres?sslmode=verify-full&sslrootcert=%2Fca.pem&application_name=x', { PGSSLMODE: 'disable', PGSSLROOTCERT: '/env.pem' });
    expect(parsed).toEqual({ connectionString: 'postgres://master@db.example.com:5432/postgres?application_name=x', request: { host: 'db.example.com', sslmode: 'verify-full', sslrootcert: '/ca.pem', insecureSkipTlsVerify: undefined } });
    expect(tlsRequestFromUrl('postgres://master@db.example.com/postgres', { PGSSLMODE: 'require', PGSSLROOTCERT: '/env.pem' }).request).toMatchObject({ sslmode: 'require', sslrootcert: '/env.pem' });
  });

  it('decides on the host pg will use: ?host= first, then the authority, then PGHOST', () => {
    expect(tlsRequestFromUrl('postgres://m@127.0.0.1/postgres?host=db.example.com', {}).request.host).toBe('db.example.com');
    expect(tlsRequestFromUrl('postgres://m@[::1]:5432/postgres', {}).request.host).toBe('::1');
    expect(tlsRequestFromUrl('postgres:///postgres', { PGHOST: 'db.example.com' }).request.host).toBe('db.example.com');
    expect(tlsRequestFromUrl('postgres:///postgres', {}).request.host).toBe('localhost');
  });

  it('refuses the other ssl parameters, which pg would let override the decision', () => {
    for (const p of ['ssl=true', 'sslcert=/c.pem', 'uselibpqcompat=true', 'sslnegotiation=direct']) {
      expect(() => tlsRequestFromUrl(`postgres://m@db.example.com/postgres?${p}`, {})).toThrow(`URL parameter "${p.split('=')[0]}" is not supported; use sslmode and sslrootcert`);
    }
  });
});

describe('refuseUnverifiedTls (the engine\'s last check)', () => {
  it.each([
    ['a plain URL to a remote host', { connectionString: 'postgres://m:pw@db.example.com/postgres' }],
    ['sslmode=require in the URL', { connectionString: 'postgres://m:pw@db.example.com/postgres?sslmode=require' }],
    ['?host= pointing away from a loopback authority', { connectionString: 'postgres://m:pw@127.0.0.1/postgres?host=db.example.com' }],
    ['an ssl option that does not verify', { host: 'db.example.com', ssl: { rejectUnauthorized: false } }],
    ['an ssl option that skips the host name', { host: 'db.example.com', ssl: { checkServerIdentity: () => undefined } }],
  ])('refuses %s', (_name, config) => {
    expect(() => refuseUnverifiedTls(config, {})).toThrow(/^refusing to send the password to db\.example\.com without a verified certificate; connect with sslmode=verify-full/);
  });

  it.each([
    ['loopback plaintext', { connectionString: 'postgres://m:pw@127.0.0.1/postgres' }],
    ['verify-full in the URL', { connectionString: 'postgres://m:pw@db.example.com/postgres?sslmode=verify-full&sslrootcert=/ca.pem' }],
    ['a verifying ssl option', { host: 'db.example.com', ssl: { rejectUnauthorized: true, ca: 'PEM' } }],
    ['the opt-out', { connectionString: 'postgres://m:pw@db.example.com/postgres', insecureSkipTlsVerify: true }],
  ])('accepts %s', (_name, config) => {
    expect(() => refuseUnverifiedTls(config, {})).not.toThrow();
  });
});
