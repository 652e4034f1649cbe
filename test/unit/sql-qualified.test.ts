// Issue 8.1, second line of defence: the inspection SQL the master runs inside databases a hostile owner
// controls names every function, operator, cast type and catalog with pg_catalog, so it stays safe even
// if a session were ever opened without the pinned search_path. Keep this passing when editing sql/.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** SQL syntax that looks like a call but is not a function lookup. */
const KEYWORDS = new Set([
  'all', 'and', 'any', 'array', 'as', 'by', 'case', 'coalesce', 'else', 'exists', 'filter', 'from', 'in', 'join', 'operator',
  'not', 'on', 'or', 'over', 'select', 'then', 'using', 'values', 'when', 'where', 'with',
]);

/** Comments and string literals removed, so only SQL structure is checked. */
function code(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/'(?:[^']|'')*'/g, "''");
}

function unqualified(sql: string): string[] {
  const text = code(sql);
  const problems: string[] = [];
  for (const m of text.matchAll(/(?<![\w."$])([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!KEYWORDS.has(name)) problems.push(`function ${m[1]}(...) is not pg_catalog-qualified`);
  }
  for (const m of text.matchAll(/\b(NOT\s+)?(IN|LIKE|ILIKE|BETWEEN|SIMILAR)\s/gi)) problems.push(`${m[0].trim()} uses an unqualified operator; write OPERATOR(pg_catalog.=) ANY (...)`);
  const withoutQualified = text.replace(/OPERATOR\(pg_catalog\.[^)]+\)/g, ' ').replace(/::/g, ' ').replace(/\(\*\)|\.\*/g, ' ');
  for (const m of withoutQualified.matchAll(/(->>|->|<>|<=|>=|!=|\|\||[=<>~!@#%^&|`?+\-*/])/g)) problems.push(`operator ${m[1]} is not written OPERATOR(pg_catalog.${m[1]})`);
  for (const m of text.matchAll(/::\s*(?!pg_catalog\.)([A-Za-z_"][\w"]*)/g)) problems.push(`cast to ${m[1]} is not pg_catalog-qualified`);
  for (const m of text.matchAll(/(?<![\w.])(pg_(?!catalog\b)[a-z_]+)\b(?!\s*\()/g)) problems.push(`catalog ${m[1]} is not pg_catalog-qualified`);
  return problems;
}

describe('pg_catalog qualification of the inspection SQL', () => {
  const inspections = readdirSync(new URL('../../sql/', import.meta.url)).filter((f) => /^inspect-.*\.sql$/.test(f));

  it('covers every inspection file', () => expect(inspections).toEqual(expect.arrayContaining(['inspect-cluster.sql', 'inspect-database.sql'])));

  it.each(inspections)('%s qualifies every function, operator, cast and catalog', (file) => {
    expect(unqualified(readFileSync(new URL(`../../sql/${file}`, import.meta.url), 'utf8'))).toEqual([]);
  });

  it.each([
    ['SELECT unnest($1::pg_catalog.text[])', 'function unnest(...) is not pg_catalog-qualified'],
    ['SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1', 'operator = is not written OPERATOR(pg_catalog.=)'],
    ["SELECT 1 FROM pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) 'x'", 'catalog pg_roles is not pg_catalog-qualified'],
    ['SELECT $1::text', 'cast to text is not pg_catalog-qualified'],
    ["SELECT 1 WHERE 'a' IN ('a')", 'IN uses an unqualified operator; write OPERATOR(pg_catalog.=) ANY (...)'],
  ])('flags %s', (sql, problem) => {
    expect(unqualified(sql)).toContain(problem);
  });

  it('accepts qualified SQL, keywords, comments and literals', () => {
    expect(unqualified("-- unnest(x) = y\nSELECT coalesce(pg_catalog.count(*), 0) FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY ('{a=b}'::pg_catalog.text[])")).toEqual([]);
  });
});
