// One engine session per managed database for a whole plan, verify or apply: opened when first needed, shared
// by the PUBLIC-reliance check, the object changes and the inspections (each used to open its own), closed at
// the end. A session is replaced when the server ended it (e.g. a database's idle_session_timeout) or when
// apply changed the settings its database hands to every new session (ALTER DATABASE ... RESET), so the work
// after the change runs in a session that no longer carries them.
import type pg from 'pg';
import { connect, type ConnectionOptions, type StatementCounter } from './connection.js';

export class DatabaseSessions {
  private readonly open = new Map<string, pg.Client>();
  private readonly ended = new WeakSet<pg.Client>();
  constructor(private readonly connection: ConnectionOptions, private readonly counter: StatementCounter) {}

  async get(database: string): Promise<pg.Client> {
    const have = this.open.get(database);
    if (have && !this.ended.has(have)) return have;
    if (have) await this.close(database);
    const client = await connect(this.connection, database, this.counter);
    client.on('end', () => this.ended.add(client));
    this.open.set(database, client);
    return client;
  }

  /** Ends the session of one database; the next get opens a fresh one. */
  async close(database: string): Promise<void> {
    const client = this.open.get(database);
    this.open.delete(database);
    await client?.end().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((d) => this.close(d)));
  }
}
