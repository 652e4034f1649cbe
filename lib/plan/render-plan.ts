// The text of `rolemodel plan`: a summary line, then each step as SQL a DBA can read. Pure.
import type { Step } from './plan-types.js';
import { printable } from '../spec/text-rules.js';
import { quoteIdent } from './sql-text.js';

/** One line that says what a plan does, e.g. `-- plan: 12 statements (roles 4, database settings 3, objects in "my-pg-db" 5)`. */
export function planSummary(steps: readonly Step[]): string {
  if (steps.length === 0) return '-- nothing to do: the server matches the spec';
  const parts = new Map<string, number>();
  for (const s of steps) {
    const key = s.phase === 'database-objects' ? `objects in "${printable(s.database ?? '')}"` : s.phase.replace('-', ' ');
    parts.set(key, (parts.get(key) ?? 0) + 1);
  }
  return `-- plan: ${steps.length} statement${steps.length === 1 ? '' : 's'} (${[...parts].map(([k, n]) => `${k} ${n}`).join(', ')})`;
}

/** Renders steps as a SQL script a DBA can read (the output of `rolemodel plan`): a summary line first; long
 *  statements with a `brief` (the db_admin.sql install) as that one line unless verbose. */
export function renderPlan(steps: readonly Step[], options: { verbose?: boolean } = {}): string {
  if (steps.length === 0) return `${planSummary(steps)}\n`;
  const out: string[] = [planSummary(steps)];
  let context = '';
  for (const step of steps) {
    const where = `${step.phase}${step.database ? ` in database "${step.database}"` : ''}`;
    if (where !== context) {
      out.push('', `-- ${printable(where)}${step.phase === 'create-database' ? ' (outside a transaction)' : ''}`);
      if (step.database && step.phase === 'database-objects') out.push(`\\connect ${quoteIdent(step.database)}`);
      context = where;
    }
    // A comment ends at a newline: a name with one would turn the rest of it into SQL that psql runs.
    out.push(`-- ${printable(step.reason)}`);
    if (step.manual) {
      out.push(`-- (apply does not run this; run it yourself if you mean it) ${printable(step.sql)};`);
      continue;
    }
    if (step.runAs) out.push(`SET ROLE ${quoteIdent(step.runAs)};`);
    out.push(step.brief && !options.verbose ? step.brief : `${step.sql};`);
    if (step.runAs) out.push('RESET ROLE;');
  }
  return `${out.join('\n').trim()}\n`;
}
