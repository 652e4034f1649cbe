// rolemodel init --database-url URL --database NAME [--cluster ID] [--out FILE]: a starting spec from an
// existing database (lib/model/init-spec.ts says how each part is chosen). The spec goes to stdout (or a new
// file; an existing one is never overwritten), the reasons for each choice to stderr. Changes nothing.
// Exit codes: 0 written, 2 invalid input (usage, no such database, an existing --out file), 1 failure.
import { existsSync, writeFileSync } from 'node:fs';
import { CLUSTER_ID } from '../../lib/spec/identifier-rules.js';
import { clusterIdFor, clusterIdProblem, initSpec, InitError } from '../../lib/model/init-spec.js';
import { parseSpec, SpecError } from '../../lib/spec/validate.js';
import type { ConnectionOptions } from '../../lib/postgres/connection.js';
import { inspectForInit } from '../../lib/postgres/init.js';
import { TlsRefusal } from '../../lib/postgres/tls.js';
import { printable } from '../../lib/spec/text-rules.js';
import { checkDatabaseUrl, connectTimeoutMs, secureConnection, UsageError } from './connection.js';
import { CONNECTION_FLAGS, noPositionals, parseFlags } from './flags.js';
import type { CliIo, Command } from './io.js';

const USAGE = `usage: rolemodel init --database-url URL --database NAME [--cluster ID] [--out FILE] [--connect-timeout SECONDS]
                 [--insecure-skip-tls-verify]

  writes a starting spec for an existing database: its schemas (all but public, db_admin and the system's),
  existing roles named <prefix>_owner, _migrator, _app, _firefighter_ro, _firefighter_rw, _admin, _password_broker
  (adopted), a NOLOGIN role that owns everything as the owner, and every other login that can connect today in
  keepConnect. Review it, then: rolemodel plan --database-url URL --spec FILE
  --cluster  the Aurora cluster id (default: from an Aurora cluster endpoint, else the database name)
  --out      write to this new file instead of stdout (an existing file is never overwritten)`;

const FLAGS = { ...CONNECTION_FLAGS, database: { type: 'string', multiple: true }, cluster: { type: 'string' }, out: { type: 'string' } } as const;

async function run(argv: string[], io: CliIo): Promise<number> {
  const { env } = io;
  const out = (line: string) => io.out(line);
  const err = (line: string) => io.err(line);
  let values;
  let timeoutMs: number;
  try {
    const parsed = parseFlags(argv, FLAGS);
    values = parsed.values;
    noPositionals(parsed.positionals);
    if (values.help) {
      out(USAGE);
      return 0;
    }
    if (!values['database-url']) throw new UsageError('--database-url is required');
    if (!values.database?.length) throw new UsageError('--database is required: name the existing database to describe, e.g. --database my-pg-db');
    if (values.database.length > 1) throw new UsageError(`init describes one database, got --database ${values.database.map((d) => JSON.stringify(d)).join(', ')}; run it once per database and merge the "databases" entries`);
    if (values.out && existsSync(values.out)) throw new UsageError(`${values.out} exists; init never overwrites a file: remove it or choose another --out`);
    timeoutMs = connectTimeoutMs(values['connect-timeout']);
    if (values.cluster !== undefined && !CLUSTER_ID.test(values.cluster)) throw new UsageError(`--cluster must be an Aurora cluster identifier (a letter, then letters, digits or hyphens), got ${JSON.stringify(values.cluster)}`);
    checkDatabaseUrl(values['database-url']);
  } catch (error) {
    err(`rolemodel init: ${printable((error as Error).message)}`);
    err(USAGE);
    return 2;
  }
  const database = values.database[0] ?? '';
  let connection: ConnectionOptions;
  let host: string;
  try {
    // The same rule as plan, apply and verify: a password reaches a remote host only over verified TLS.
    ({ connection, host } = await secureConnection({ url: values['database-url'], connectTimeoutMs: timeoutMs, insecureSkipTlsVerify: values['insecure-skip-tls-verify'] ?? false }, env, err));
  } catch (error) {
    err(`rolemodel init: ${(error as Error).message}`);
    return error instanceof TlsRefusal ? 2 : 1;
  }
  const { cluster, from } = clusterIdFor(host, database, values.cluster);
  const problem = clusterIdProblem(cluster, from);
  if (problem) {
    err(`rolemodel init: ${problem}`);
    return 2;
  }
  try {
    const facts = await inspectForInit(connection, database);
    const { spec, notes } = initSpec(facts, cluster);
    parseSpec(spec);
    const text = `${JSON.stringify(spec, null, 2)}\n`;
    err(`rolemodel init: cluster "${cluster}" (from ${from})`);
    for (const n of notes) err(`rolemodel init: ${printable(n)}`);
    if (values.out) {
      writeFileSync(values.out, text, { flag: 'wx' });
      err(`rolemodel init: wrote ${values.out}; next: rolemodel plan --database-url URL --spec ${values.out}`);
    } else out(text.trimEnd());
    return 0;
  } catch (error) {
    if (error instanceof InitError) {
      err(`rolemodel init: ${error.message}`);
      return 2;
    }
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      err(`rolemodel init: ${values.out ?? ''} exists; init never overwrites a file: remove it or choose another --out`);
      return 2;
    }
    if (error instanceof SpecError) {
      err(`rolemodel init: the spec written from "${database}" does not validate; fix these by hand or report it:\n${error.message}`);
      return 1;
    }
    err(`rolemodel init: ${printable((error as Error).message)}`);
    return 1;
  }
}

export const init: Command = { name: 'init', summary: 'write a starting spec from an existing database; changes nothing', usage: USAGE, run };
