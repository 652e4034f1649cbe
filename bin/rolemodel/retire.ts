// rolemodel retire: what the RoleModel custom resource's Delete does under DESTROY, from a terminal, with the
// same code and so the same safety rules (lib/postgres/retire.ts): only roles marked as created by this spec
// for the database, only the spec's databases, the master never borrowing a role that reaches rds_iam. Prints
// the plan first (plan-style: one line a role), then acts unless --dry-run.
import { retireDatabaseRoles } from '../../lib/postgres/retire.js';
import { planRetire, type RetirePlan } from '../../lib/postgres/retire-plan.js';
import { quoteIdent } from '../../lib/plan/sql-text.js';
import { printable } from '../../lib/spec/text-rules.js';
import { UsageError } from './connection.js';
import { runFailure } from './failures.js';
import type { CliIo, Command } from './io.js';
import { prepareCommand, TARGET_FLAGS, TARGET_USAGE } from './target.js';

const FLAGS = {
  ...TARGET_FLAGS,
  mode: { type: 'string', default: 'retain' },
  'dry-run': { type: 'boolean', default: false },
} as const;

const MODES = ['retain', 'destroy'] as const;

const USAGE = `usage: rolemodel retire --database-url URL --spec FILE [--database NAME]... [--mode retain|destroy] [--dry-run] [--json]
                        [--connect-timeout SECONDS] [--insecure-skip-tls-verify]

  retires the managed roles of each database (what deleting a RoleModel with removalPolicy DESTROY does):
  their logins refused, their sessions ended, what they own handed to the user you connect as, their
  privileges dropped, then the roles. Only roles the engine created for that database (their comment carries
  its mark) are touched; any other, or one that owns or holds something outside the spec's databases, is kept
  and named. Cluster roles (admin, password broker, verifier) stay. Prints the plan first
${TARGET_USAGE}
  --mode retain    (default) the database and all its data stay, owned by the user you connect as
  --mode destroy   also DROP DATABASE ... WITH (FORCE): all its data is gone. Needs --database for each one
  --dry-run        print the plan and change nothing

exit codes: 0 retired (or planned), 2 invalid input, 1 error (retire stops before dropping anything it cannot
drop safely)`;

/** The plan, one line a role: `drop`, `keep`, and what happens to the database. */
export function renderRetirePlan(plan: RetirePlan): string[] {
  const db = printable(quoteIdent(plan.database));
  if (!plan.databaseExists && plan.drop.length === 0) return [`-- retire ${db}: the database and its roles are gone already; nothing to do`];
  const sessions = plan.drop.reduce((n, r) => n + r.sessions, 0);
  const lines = [`-- retire ${db} (--mode ${plan.dropDatabase ? 'destroy' : 'retain'}): drop ${plan.drop.length} role${plan.drop.length === 1 ? '' : 's'}, keep ${plan.kept.length}, end ${sessions} session${sessions === 1 ? '' : 's'}`];
  for (const r of plan.drop) {
    const what = [
      r.personLogin ? 'per-person login' : r.login ? 'login' : 'NOLOGIN',
      ...(r.sessions > 0 ? [`${r.sessions} session${r.sessions === 1 ? '' : 's'} ended`] : []),
      ...r.owns.map((o) => `owns ${o.objects} object${o.objects === 1 ? '' : 's'} in ${printable(quoteIdent(o.database))}: ${plan.dropDatabase && o.database === plan.database ? 'dropped with the database' : `reassigned to ${printable(plan.receiver)}`}`),
    ];
    lines.push(`drop ${printable(r.role)} (${what.join('; ')})`);
  }
  for (const k of plan.kept) lines.push(`keep ${printable(k.role)}${plan.disabled.includes(k.role) ? ' (made NOLOGIN, its sessions ended)' : ''}: ${printable(k.reason)}`);
  if (plan.dropDatabase) lines.push(plan.databaseExists ? `drop database ${db} WITH (FORCE): every session in it ends and ALL ITS DATA IS GONE` : `database ${db} does not exist`);
  else lines.push(plan.databaseExists ? `keep database ${db} and its data` : `database ${db} does not exist`);
  if (plan.refusal) lines.push(`-- retire would stop before dropping anything: ${printable(plan.refusal)}`);
  return lines;
}

/** --mode, checked: destroy only with each database named. */
function checkMode(values: { readonly mode: string; readonly database?: string[] | undefined }): void {
  if (!(MODES as readonly string[]).includes(values.mode)) throw new UsageError(`--mode must be retain or destroy, got ${JSON.stringify(values.mode)}`);
  if (values.mode === 'destroy' && !values.database?.length) throw new UsageError('--mode destroy drops databases and all their data: name each one with --database');
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const prepared = await prepareCommand(argv, io, { flags: FLAGS, usage: USAGE, check: checkMode });
  if (prepared.exit !== undefined) return prepared.exit;
  const { values, target } = prepared;
  const dropDatabase = values.mode === 'destroy';
  const databases = target.databases ?? target.spec.databases.map((d) => d.name);
  try {
    const plans: RetirePlan[] = [];
    for (const database of databases) plans.push(await planRetire(target.spec, database, target.connection, { dropDatabase }));
    if (!values.json) for (const plan of plans) for (const line of renderRetirePlan(plan)) io.out(line);
    const refused = plans.filter((p) => p.refusal);
    if (values['dry-run'] || refused.length > 0) {
      if (values.json) io.out(JSON.stringify({ ok: refused.length === 0, dryRun: values['dry-run'], plans }, null, 2));
      else if (refused.length === 0) io.out('retire --dry-run: nothing changed');
      if (refused.length > 0) io.err(`rolemodel: retire refused, nothing changed: ${printable(refused.map((p) => p.refusal).join('; '))}`);
      return refused.length > 0 ? 1 : 0;
    }
    const results = [];
    for (const database of databases) {
      const result = await retireDatabaseRoles(target.spec, database, target.connection, { dropDatabase });
      results.push({ database, ...result });
      if (!values.json) {
        io.out(`retire ${printable(quoteIdent(database))}: dropped ${result.rolesDropped.length} roles, kept ${result.rolesKept.length}, ended ${result.sessionsEnded} sessions; database ${result.databaseDropped ? 'dropped' : 'kept'}`);
      }
    }
    if (values.json) io.out(JSON.stringify({ ok: true, plans, results }, null, 2));
    return 0;
  } catch (error) {
    return runFailure(error, io, values.json);
  }
}

export const retire: Command = { name: 'retire', summary: 'retire the managed roles of the spec\'s databases (the custom resource\'s DESTROY); --dry-run plans', usage: USAGE, run };
