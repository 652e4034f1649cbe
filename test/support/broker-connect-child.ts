// Run in a child `node` (NODE_EXTRA_CA_CERTS is read only at process start): opens one connection with the
// broker's connector, verify-full and no explicit CA, the way the Lambda does, and prints the outcome as JSON.
// argv: host port user database; the password comes in CHILD_PG_PASSWORD, never in argv.
import { brokerConnector } from '../../lib/postgres/broker-connection.js';

const [host = '', port = '', user = '', database = ''] = process.argv.slice(2);
const connect = brokerConnector({ port: Number(port), user, password: () => process.env.CHILD_PG_PASSWORD ?? '', tls: { mode: 'verify-full' }, connectTimeoutMs: 10_000 });
try {
  const client = await connect(host, database);
  const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()');
  await client.end();
  process.stdout.write(JSON.stringify({ ok: true, ssl: rows[0]?.ssl ?? null }));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, error: (error as Error).message }));
}
