// The broker's connection adapter over TLS: it connects only to a server whose certificate chains to the
// configured CA; another CA, or plaintext to a remote host, is refused, never downgraded. (Host names are
// checked by Node's default checkServerIdentity, which sslOptions leaves in place.)
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { brokerConnector, sslOptions } from '../../lib/postgres/broker-connection.js';

import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';
import { makeTls } from '../support/tls.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));

describe('broker connections over TLS (PostgreSQL 17)', () => {
  let server: EmbeddedServer;
  let ca: string;
  let otherCa: string;
  let token: string;
  const connector = (tls: Parameters<typeof sslOptions>[1]) =>
    brokerConnector({ port: server.port, user: 'my_pg_password_broker', password: () => token, tls, connectTimeoutMs: 3_000 });

  beforeAll(async () => {
    const tls = makeTls();
    ca = tls.ca;
    otherCa = makeTls().ca;
    server = await startEmbeddedServer({ major: 17, tls });
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    token = await server.issueIamToken('my_pg_password_broker');
  });
  afterAll(async () => server?.stop());

  it('connects with TLS when the certificate chains to the configured CA', async () => {
    const client = await connector({ mode: 'verify-full', ca })('127.0.0.1', 'my-pg-db');
    const { rows } = await client.query<{ ssl: boolean; timeout: string }>("SELECT ssl, current_setting('statement_timeout') AS timeout FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    await client.end();
    expect(rows).toEqual([{ ssl: true, timeout: '15s' }]);
  });

  it('refuses a server whose certificate another CA signed', async () => {
    await expect(connector({ mode: 'verify-full', ca: otherCa })('127.0.0.1', 'my-pg-db')).rejects.toThrow(/self-signed certificate in certificate chain|unable to verify/);
  });

  it('refuses it with Node\'s default trust store too (no silent fallback to unverified)', async () => {
    await expect(connector({ mode: 'verify-full' })('127.0.0.1', 'my-pg-db')).rejects.toThrow(/self-signed certificate in certificate chain|unable to verify/);
  });

  it('plaintext only to the loopback address, and only when asked for', () => {
    expect(() => sslOptions('my-pg.cluster-abc.eu-west-1.rds.amazonaws.com', { mode: 'disable' })).toThrow('tls mode "disable" is refused for my-pg.cluster-abc.eu-west-1.rds.amazonaws.com: only a loopback host may be reached without a verified certificate; use verify-full with the server\'s CA, or pass --insecure-skip-tls-verify');
    expect(() => sslOptions('10.0.0.5', { mode: 'require' } as never)).toThrow('tls mode "require" is not supported; use verify-full');
    expect(sslOptions('127.0.0.1', { mode: 'verify-full', ca })).toEqual({ rejectUnauthorized: true, ca }); // no checkServerIdentity override
  });
});
