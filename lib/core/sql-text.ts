// The one place identifiers and literals become SQL text. Every name from a spec goes through here.

/** Double-quotes an identifier, doubling embedded quotes: `my-pg-db` -> `"my-pg-db"`. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new Error(`invalid identifier ${JSON.stringify(name)}: must be non-empty with no NUL`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** Single-quotes a literal for a server with standard_conforming_strings on (the default since 9.1). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('invalid literal: must not contain NUL');
  return `'${value.replace(/'/g, "''")}'`;
}

export function quoteIdents(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}
