// `npm run demo -- --keep`: what to paste once the steps ran, against the server left running: the firefighter
// CLI in --direct mode (the broker's login is the emulated IAM token, as on Aurora, here a short fixed one) and
// a psql line per login role. Every password printed is this local demo's, not a secret of any real system.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MASTER_PASSWORD, MASTER_USER } from '../../test/support/embedded-server.js';
import type { DemoContext } from './rolemodel-steps.js';

const TOKEN = 'demo-iam-token';

export async function printTryIt(ctx: DemoContext): Promise<void> {
  const { server, spec } = ctx;
  const dir = mkdtempSync(path.join(tmpdir(), 'firefighter-demo-'));
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, ctx.tls.ca);
  const db = spec.databases[0];
  if (!db) return;
  // Token logins (rds_iam) of the broker and the IAM roles, each the short demo token named after the role.
  const iamRoles = [spec.passwordBroker, db.roles.migrator, db.roles.app].filter((r) => r.iam).map((r) => r.name);
  const tokens = new Map<string, string>();
  for (const role of iamRoles) tokens.set(role, await server.issueIamToken(role, `${TOKEN}-${role}`));
  const tls = `sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;
  const broker = spec.passwordBroker.name;
  const url = `postgres://${broker}:${encodeURIComponent(tokens.get(broker) ?? '')}@127.0.0.1:${server.port}/${encodeURIComponent(db.name)}?${tls}`;
  const ff = (args: string) => `  npm run -s firefighter -- ${args} --direct --database-url '${url}'`;
  const psql = (user: string, password: string) => `  PGPASSWORD='${password}' psql 'postgresql://${user}@127.0.0.1:${server.port}/${encodeURIComponent(db.name)}?${tls}'`;
  console.log(`
the server keeps running (Ctrl-C to stop); the passwords below are this local demo's, not a secret of any real system.

the firefighter CLI, as the broker (its login is the emulated IAM token ${tokens.get(broker)}):
${ff('status')}
${ff('request ro --incident INC-1 --reason "trying it out"')}
${ff('requests')}
${ff('history --incident INC-1')}
${ff('revoke ro --incident INC-1')}

psql as each login role (a firefighter's line is printed by the request above):
${psql(MASTER_USER, MASTER_PASSWORD)}   # the master (NOSUPERUSER, like Aurora's)
${[...tokens].filter(([role]) => role !== broker).map(([role, token]) => `${psql(role, token)}   # ${role} (an IAM login: the emulated token)`).join('\n')}`);
}
