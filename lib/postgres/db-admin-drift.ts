// Reads what db_admin should look like from the files themselves: installs sql/db_admin*.sql into a scratch
// schema inside a transaction (or savepoint) that is always rolled back, and has the server describe both
// schemas the same way. Nothing is hard-coded, so editing the files changes the expected state with them.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { DbAdminPrints, SchemaPrint } from '../drift/object-facts.js';
import { DB_ADMIN_SCHEMA } from '../spec/spec.js';
import { quoteIdent } from '../plan/sql-text.js';
import { readSql } from './sql-files.js';

/** The files' text with every `db_admin.` reference pointed at the scratch schema. */
export function retarget(sql: string, scratch: string): string {
  return sql.replace(/\bdb_admin\./g, `${scratch}.`);
}

/**
 * Prints of the installed db_admin and of a fresh install of `sql` (as `admin`, in a schema the database
 * `owner` creates and lends to admin). In apply's transaction pass `inTransaction`: a savepoint is used.
 */
export async function dbAdminPrints(client: pg.Client, sql: string, owner: string, admin: string, inTransaction: boolean): Promise<DbAdminPrints> {
  // Random, so that nobody can plant the scratch schema in advance; lower case, so the server never quotes it.
  const scratch = `db_admin_expected_${randomBytes(6).toString('hex')}`;
  const print = async (schema: string): Promise<SchemaPrint> => {
    const { rows } = await client.query<{ print: SchemaPrint }>(readSql('db-admin-fingerprint.sql'), [schema]);
    if (!rows[0]) throw new Error(`cannot describe schema ${schema}`);
    return rows[0].print;
  };
  // READ WRITE explicitly: the database's owner may have made every transaction read-only by default.
  await client.query(inTransaction ? 'SAVEPOINT db_admin_expected' : 'BEGIN READ WRITE');
  try {
    await client.query(`SET LOCAL ROLE ${quoteIdent(owner)}`);
    await client.query(`CREATE SCHEMA ${scratch}`);
    await client.query(`GRANT USAGE, CREATE ON SCHEMA ${scratch} TO ${quoteIdent(admin)}`);
    await client.query(`SET LOCAL ROLE ${quoteIdent(admin)}`);
    await client.query(retarget(sql, scratch));
    await client.query('RESET ROLE');
    const have = await print(DB_ADMIN_SCHEMA);
    const fresh = await print(scratch);
    // The scratch name is unique and never quoted, so every mention of it is the schema itself.
    const want = JSON.parse(JSON.stringify(fresh).split(scratch).join(DB_ADMIN_SCHEMA)) as SchemaPrint;
    return { have, want };
  } finally {
    await client.query(inTransaction ? 'ROLLBACK TO SAVEPOINT db_admin_expected' : 'ROLLBACK').catch(() => undefined);
  }
}
