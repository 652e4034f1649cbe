// The one place identifiers and literals become SQL text. Every name from a spec goes through here.

/** Double-quotes an identifier, doubling embedded quotes: `my-pg-db` -> `"my-pg-db"`. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new Error(`invalid identifier ${JSON.stringify(name)}: must be non-empty with no NUL`);
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Single-quotes a literal. With a backslash in it, writes PostgreSQL's escape-string form (as quote_literal
 * does), which reads the same whatever standard_conforming_strings is: a rendered plan may be run by psql in
 * a session where the database's owner turned it off.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('invalid literal: must not contain NUL');
  const quoted = `'${value.replace(/'/g, "''")}'`;
  return value.includes('\\') ? `E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

export function quoteIdents(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}
