// Reads what `rolemodel init` needs from a live server (sql/inspect-init.sql), read-only, on engine sessions
// (pinned search_path, the TLS rule of lib/postgres/tls.ts).
import { InitError, type InitFacts } from '../model/init-spec.js';
import { connect, describeTarget, type ConnectionOptions } from './connection.js';
import { readSql } from './sql-files.js';

export async function inspectForInit(connection: ConnectionOptions, database: string): Promise<InitFacts> {
  const maint = await connect(connection, undefined);
  try {
    const { rows } = await maint.query<{ datname: string }>(
      'SELECT d.datname FROM pg_catalog.pg_database d WHERE NOT d.datistemplate AND d.datallowconn ORDER BY 1');
    const names = rows.map((r) => r.datname);
    if (!names.includes(database)) {
      throw new InitError(`database ${JSON.stringify(database)} does not exist on ${describeTarget(connection, undefined)}; choose one of ${names.filter((n) => n !== 'rdsadmin').map((n) => JSON.stringify(n)).join(', ')}`);
    }
  } finally {
    await maint.end().catch(() => undefined);
  }
  const client = await connect(connection, database);
  try {
    const facts = (await client.query<{ facts: InitFacts }>(readSql('inspect-init.sql'))).rows[0]?.facts;
    if (!facts) throw new Error(`inspection of "${database}" returned nothing`);
    return facts;
  } finally {
    await client.end().catch(() => undefined);
  }
}
