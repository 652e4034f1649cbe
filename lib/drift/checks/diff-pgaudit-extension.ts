// The pgaudit extension in each managed database (issue 20: `CREATE EXTENSION pgaudit` per database). Where the
// library is loaded and the extension is available, the master creates it in a schema of its own, `pgaudit`,
// with no privilege for anyone else: its two functions are SECURITY DEFINER (the master's privileges, run by
// every DDL statement's event triggers), so a schema the database's owner owns or may create in would let it drop
// and replace them, or put look-alikes in their way. Never into a schema the owner could have prepared: an
// existing `pgaudit` schema that is not trusted is a finding for a human, not a place to install into.
import type { PgauditExtensionFacts } from '../facts.js';
import type { DatabaseModel } from '../../model/model.js';
import type { Finding, Step } from '../../plan/plan-types.js';
import { quoteIdent } from '../../plan/sql-text.js';

/** The schema the engine creates the extension in (owned by the applying master, no grants). */
export const PGAUDIT_SCHEMA = 'pgaudit';

export function diffPgauditExtension(db: DatabaseModel, facts: PgauditExtensionFacts | undefined): { findings: Finding[]; steps: Step[] } {
  const findings: Finding[] = [];
  const steps: Step[] = [];
  if (!facts?.loaded || !facts.available) return { findings, steps };
  const database = db.name;
  const schema = quoteIdent(PGAUDIT_SCHEMA);
  const target = facts.schemas.find((s) => s.name === PGAUDIT_SCHEMA);
  const claimed = db.schemas.includes(PGAUDIT_SCHEMA);
  const step = (sql: string, reason: string, manual = false, runAs?: string) => steps.push({ phase: 'database-objects', database, ...(runAs ? { runAs } : {}), sql, reason, ...(manual ? { manual } : {}) });
  if (facts.installedIn !== null) {
    const where = facts.schemas.find((s) => s.name === facts.installedIn);
    if (where?.trusted === true) return { findings, steps };
    findings.push({ code: 'pgaudit-extension-schema', database, subject: 'pgaudit', message: `pgaudit in "${database}" is in schema "${facts.installedIn}", owned by ${where?.owner ?? 'an unknown role'} or open to others: whoever controls it can replace pgaudit's SECURITY DEFINER functions; move it to a schema only the master controls` });
    if (target?.trusted === true) step(`ALTER EXTENSION pgaudit SET SCHEMA ${schema}`, 'pgaudit into a schema only the master controls', true);
    return { findings, steps };
  }
  if (claimed || (target !== undefined && !target.trusted)) {
    findings.push({ code: 'pgaudit-extension-missing', database, subject: 'pgaudit', message: `pgaudit is not created in "${database}", and schema "${PGAUDIT_SCHEMA}" ${claimed ? 'is one of the spec\'s schemas' : `exists, owned by ${target?.owner ?? 'another role'} or open to others`}: the engine creates it only in a schema of the master's own; rename that schema, or create the extension yourself in a schema only the master controls` });
    step(`CREATE EXTENSION pgaudit SCHEMA <a schema only the master controls>`, 'pgaudit needs a schema the database owner cannot touch', true);
    return { findings, steps };
  }
  findings.push({ code: 'pgaudit-extension-missing', database, subject: 'pgaudit', message: `pgaudit is loaded but its extension is not created in "${database}" (its event triggers name the objects of DDL statements)` });
  // Plain CREATE SCHEMA (no IF NOT EXISTS): a schema someone made since the inspection fails the apply instead
  // of receiving the extension. The master holds no CREATE on the database: the owner lends it for the one
  // statement, inside apply's transaction (as for a schema handover, diff-database.ts).
  if (target === undefined) {
    const owner = db.roles.owner.name;
    step(`GRANT CREATE ON DATABASE ${quoteIdent(database)} TO SESSION_USER`, 'let the master create the schema for pgaudit', false, owner);
    step(`CREATE SCHEMA ${schema}`, 'a schema of the master\'s own for pgaudit\'s functions');
    step(`REVOKE CREATE ON DATABASE ${quoteIdent(database)} FROM SESSION_USER`, 'the master keeps CONNECT only', false, owner);
  }
  step(`CREATE EXTENSION pgaudit SCHEMA ${schema}`, 'pgaudit\'s event triggers, created by the master');
  return { findings, steps };
}
