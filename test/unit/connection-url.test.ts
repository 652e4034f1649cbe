// Issue 8.2: a database name reaches pg exactly, whatever URL syntax it contains (pg itself decodes the
// path with decodeURI, which leaves %3F, %23, %2F, %3B, %24, %2B encoded).
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { withDatabase } from '../../lib/postgres/connection.js';

const URL_BASE = 'postgres://master:p%40ss@db.example:5433/postgres?application_name=x';

describe('withDatabase', () => {
  it.each(['my-pg-db', 'a;b', 'a/b', 'a?b', 'a#b', 'a$b', 'a+b', 'a%41b', 'a b', `q'"\\`, 'ü🔥', '%', '?#;/$+'])('%j reaches pg unchanged', (name) => {
    const client = new pg.Client(withDatabase({ connectionString: URL_BASE }, name));
    expect(client.database).toBe(name);
    // The rest of the URL means what it meant.
    expect({ host: client.host, port: client.port, user: client.user }).toEqual({ host: 'db.example', port: 5433, user: 'master' });
    expect(client.password).toBe('p@ss');
  });

  it('decodes the URL\'s own database as a URI component, as libpq does', () => {
    const client = new pg.Client(withDatabase({ connectionString: 'postgres://m@h/a%3Fb%23c%2Fd' }, undefined));
    expect(client.database).toBe('a?b#c/d');
  });

  it('keeps explicit fields when there is no connection string', () => {
    expect(withDatabase({ host: 'h', database: 'x' }, 'y')).toEqual({ host: 'h', database: 'y' });
    expect(withDatabase({ host: 'h', database: 'x' }, undefined)).toEqual({ host: 'h', database: 'x' });
  });
});
