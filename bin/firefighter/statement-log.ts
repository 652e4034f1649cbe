// Where the statements of a history's logins are (docs/security.md, "What the firefighter did"): pgaudit writes them
// to the cluster's PostgreSQL log, exported to CloudWatch; the audit rows say which logins and when. This turns the
// two into lines a person can paste: the log group, the logins, the window and an `aws logs start-query` command.
import type { HistoryEntry } from '../../lib/broker/db/history.js';
import type { StatementLog } from '../../lib/broker/service-types.js';
import { humanTime } from './time.js';

/** Aurora's log_line_prefix is `%t:%r:%u@%d:[%p]:`, so `:<user>@` starts the part a login's line is found by. */
function userPattern(logins: readonly string[]): string {
  const escaped = logins.map((l) => l.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'));
  return `/:(${escaped.join('|')})@/`;
}

/** A word for a POSIX shell: single quotes, with any single quote closed, escaped and reopened. */
function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The logins the rows name (per-person logins, else the shared role) and the window from the first row to the last expiry. */
export function statementWindow(entries: readonly HistoryEntry[]): { logins: string[]; from: string; to: string } | undefined {
  if (entries.length === 0) return undefined;
  const logins = [...new Set(entries.map((e) => e.login ?? e.role))].sort();
  const times = entries.flatMap((e) => [e.at, ...(e.expiresAt ? [e.expiresAt] : [])]).map((t) => Date.parse(t)).filter((t) => !Number.isNaN(t));
  const from = new Date(Math.min(...times)).toISOString();
  const to = new Date(Math.max(...times)).toISOString();
  return { logins, from, to };
}

/** The lines after the audit rows; none for an empty history or a broker too old to say where its log is. */
export function statementLogLines(entries: readonly HistoryEntry[], where: StatementLog | undefined): string[] {
  const window = statementWindow(entries);
  if (!window || !where) return [];
  const { logins, from, to } = window;
  const span = `from ${humanTime(from)} to ${humanTime(to)}`;
  if ('serverLog' in where) {
    return ['', `statements: in the PostgreSQL server log of ${where.serverLog} (pgaudit's "AUDIT: SESSION" lines, or log_statement's), the lines whose user (log_line_prefix %u) is ${logins.join(' or ')}, ${span}`];
  }
  const query = `fields @timestamp, @message | filter @message like /AUDIT: SESSION/ and @message like ${userPattern(logins)} | sort @timestamp asc | limit 10000`;
  const start = Math.floor(Date.parse(from) / 1000) - 60;
  const end = Math.ceil(Date.parse(to) / 1000) + 60;
  return [
    '',
    `statements (pgaudit): CloudWatch log group ${where.logGroup}, logins ${logins.join(', ')}, ${span}`,
    `  Logs Insights query: ${query}`,
    `  from a shell:        aws logs start-query --log-group-name ${shellWord(where.logGroup)} --start-time ${start} --end-time ${end} --query-string ${shellWord(query)}`,
    '                      then aws logs get-query-results --query-id <the queryId it printed>',
  ];
}
