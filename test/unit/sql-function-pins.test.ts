// Every SECURITY DEFINER function in sql/db_admin*.sql runs as the admin inside a database whose owner may set
// anything at the database level, and with whatever a caller SETs in its session: each pins the settings its
// body depends on in its own header, where a DBA reading the function sees them. 16 functions (the per-person
// logins', approvals' and history's) lacked the standard_conforming_strings pin before this test.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const SQL = new URL('../../sql/', import.meta.url);
const PINS = ["SET search_path = pg_catalog, pg_temp", "SET TimeZone = 'UTC'", 'SET standard_conforming_strings = on'];

/** Each function's name and header (from CREATE to the body's opening dollar quote). */
function headers(file: string): { name: string; header: string }[] {
  const text = readFileSync(new URL(file, SQL), 'utf8');
  return [...text.matchAll(/CREATE OR REPLACE FUNCTION (\S+?)\(.*?\bAS \$/gs)].map((m) => ({ name: m[1] ?? '', header: m[0] }));
}

const files = readdirSync(SQL).filter((f) => /^db_admin.*\.sql$/.test(f));
const definers = files.flatMap((file) => headers(file).filter((f) => /\bSECURITY DEFINER\b/.test(f.header)).map((f) => ({ file, ...f })));

describe('db_admin SECURITY DEFINER functions', () => {
  it('are found (the parse above still matches how the files are written)', () => {
    expect(definers.length).toBeGreaterThan(30);
  });

  it.each(definers)('$name ($file) pins search_path, TimeZone and standard_conforming_strings', ({ header }) => {
    expect(PINS.filter((pin) => !header.includes(pin))).toEqual([]);
  });
});
