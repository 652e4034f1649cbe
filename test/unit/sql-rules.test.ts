// Each rule of the inspection SQL once: a rule several queries share (which objects are an extension's or another
// object's part, which relations the model checks, what the applier needs in a grantor to revoke as it) is one
// file, sql/inspect-rule-*.sql, that the queries name with `-- @include`, expanded by readSql (lib/postgres/sql-files.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSql } from '../../lib/postgres/sql-files.js';

const dir = new URL('../../sql/', import.meta.url);
const files = readdirSync(dir).filter((f) => /^inspect-.*\.sql$/.test(f));
const rules = files.filter((f) => f.startsWith('inspect-rule-'));
const queries = files.filter((f) => !rules.includes(f));
const raw = (f: string) => readFileSync(new URL(f, dir), 'utf8');
/** The lines of a file that are SQL, not comments, white space folded. */
const codeLines = (text: string) => text.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l && !l.startsWith('--'));

describe('the inspection SQL states each rule once', () => {
  it('has the rule files', () => expect(rules.sort()).toEqual(['inspect-rule-grantor-right.sql', 'inspect-rule-members.sql', 'inspect-rule-relations.sql']));

  it.each(rules)('no query repeats a line of %s: they include it', (rule) => {
    const lines = codeLines(raw(rule));
    const copies = queries.flatMap((q) => codeLines(raw(q)).filter((l) => lines.includes(l)).map((l) => `${q}: ${l}`));
    expect(copies).toEqual([]);
    const users = queries.filter((q) => raw(q).includes(`-- @include ${rule}`));
    expect(users.length).toBeGreaterThanOrEqual(2);
    for (const q of users) expect(codeLines(readSql(q)).join('\n')).toContain(lines.join('\n'));
  });

  it.each(queries)('%s, as sent, has every include expanded', (q) => {
    expect(readSql(q)).not.toMatch(/@include/);
  });
});
