// `firefighter history INC-…` says where the statements of the incident's logins are (issue 20, "the
// firefighter's statements are recorded"): after the audit rows, the cluster's PostgreSQL log group and a query
// for those logins in the incident's window, or, through --direct, the server's own log.
import { describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import type { BrokerResponse } from '../../lib/broker/service.js';
import { codeBlocks } from '../support/markdown.js';

const entries = [
  { database: 'my-pg-db', at: '2026-12-07T01:00:00.000Z', action: 'issue', role: 'my_pg_firefighter_rw', login: 'ff_alice_1', actor: 'alice', incidentId: 'INC-42',
    reason: 'disk full', expiresAt: '2026-12-07T02:00:00.000Z', previousHolder: null, sessionsEnded: null, requestId: null },
  { database: 'my-pg-db', at: '2026-12-07T01:30:00.000Z', action: 'issue', role: 'my_pg_firefighter_ro', login: null, actor: 'bob', incidentId: 'INC-42',
    reason: 'look', expiresAt: '2026-12-07T03:30:00.000Z', previousHolder: null, sessionsEnded: null, requestId: null },
];

async function run(args: string[], response: Record<string, unknown>) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sent: Record<string, unknown>[] = [];
  const code = await runFirefighter(args, {
    stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: {},
    invoke: async (_options, event) => (sent.push(event), response as unknown as BrokerResponse),
    psql: async () => 0,
    getParameter: async () => undefined,
    listParameters: async () => [],
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), sent };
}

describe('firefighter history INCIDENT', () => {
  it('takes the incident as its argument, like --incident (old: unexpected argument "INC-42")', async () => {
    const out = await run(['history', 'INC-42', '--function', 'f'], { ok: true, action: 'history', entries: [] });
    expect(out.stderr).toBe('');
    expect(out.sent).toEqual([expect.objectContaining({ action: 'history', incidentId: 'INC-42' })]);
    const both = await run(['history', 'INC-42', '--incident', 'INC-7', '--function', 'f'], { ok: true, action: 'history', entries: [] });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^firefighter: history got two incidents, "INC-42" and --incident "INC-7"; give one/);
    expect(both.sent).toEqual([]);
  });

  it('names the log group and prints a query for the incident\'s logins and window (old: the audit rows only)', async () => {
    const out = await run(['history', 'INC-42', '--function', 'f'], { ok: true, action: 'history', entries, statementLog: { logGroup: '/aws/rds/cluster/my-pg-1a2b3c4d/postgresql' } });
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      '01:00 UTC (2026-12-07)  issue             ff_alice_1  alice  INC-42  until 02:00 UTC (2026-12-07)  "disk full"',
      '01:30 UTC (2026-12-07)  issue             my_pg_firefighter_ro  bob  INC-42  until 03:30 UTC (2026-12-07)  "look"',
    ]);
    const query = 'fields @timestamp, @message | filter @message like /AUDIT: SESSION/ and @message like /:(ff_alice_1|my_pg_firefighter_ro)@/ | sort @timestamp asc | limit 10000';
    expect(lines.slice(2)).toEqual([
      '',
      'statements (pgaudit): CloudWatch log group /aws/rds/cluster/my-pg-1a2b3c4d/postgresql, logins ff_alice_1, my_pg_firefighter_ro, from 01:00 UTC (2026-12-07) to 03:30 UTC (2026-12-07)',
      `  Logs Insights query: ${query}`,
      // 2026-12-07T01:00Z minus a minute, 03:30Z plus a minute, in epoch seconds.
      `  from a shell:        aws logs start-query --log-group-name '/aws/rds/cluster/my-pg-1a2b3c4d/postgresql' --start-time ${Date.UTC(2026, 11, 7, 0, 59) / 1000} --end-time ${Date.UTC(2026, 11, 7, 3, 31) / 1000} --query-string '${query}'`,
      '                      then aws logs get-query-results --query-id <the queryId it printed>',
    ]);
  });

  it('through --direct (no log group) points at the server\'s own log', async () => {
    const out = await run(['history', 'INC-42', '--function', 'f'], { ok: true, action: 'history', entries: entries.slice(0, 1), statementLog: { serverLog: '127.0.0.1' } });
    expect(out.stdout.split('\n').slice(1)).toEqual(['',
      'statements: in the PostgreSQL server log of 127.0.0.1 (pgaudit\'s "AUDIT: SESSION" lines, or log_statement\'s), the lines whose user (log_line_prefix %u) is ff_alice_1, from 01:00 UTC (2026-12-07) to 02:00 UTC (2026-12-07)']);
  });

  it('prints no statement lines for an empty history or an older broker that does not say where its log is', async () => {
    expect((await run(['history', '--function', 'f'], { ok: true, action: 'history', entries: [], statementLog: { logGroup: '/x' } })).stdout).toBe('no history for that selection');
    expect((await run(['history', '--function', 'f'], { ok: true, action: 'history', entries })).stdout.split('\n')).toHaveLength(2);
  });

  it('docs/runbook.md shows what history prints for its example (one shared rw issue to alice on INC-4711)', async () => {
    const block = codeBlocks('docs/runbook.md').find((b) => b.check === 'text firefighter history (test/unit/firefighter-history.test.ts)');
    expect(block).toBeDefined();
    const example = [{ ...entries[0], login: null, incidentId: 'INC-4711', reason: 'orders stuck' }];
    const out = await run(['history', 'INC-4711', '--function', 'f'], { ok: true, action: 'history', entries: example, statementLog: { logGroup: '/aws/rds/cluster/my-pg-1a2b3c4d/postgresql' } });
    expect(out.stdout.trimEnd()).toBe(block?.text);
  });
});
