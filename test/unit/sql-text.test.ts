import { describe, expect, it } from 'vitest';
import { parseSearchPath } from '../../lib/drift/diff-cluster.js';
import { quoteIdent, quoteLiteral } from '../../lib/plan/sql-text.js';

describe('quoting', () => {
  it.each([
    ['my-pg-db', '"my-pg-db"'],
    ['plain', '"plain"'],
    ['Mixed', '"Mixed"'],
    ['a"b', '"a""b"'],
    ['x"; DROP ROLE postgres; --', '"x""; DROP ROLE postgres; --"'],
  ])('quoteIdent(%j) = %s', (input, out) => expect(quoteIdent(input)).toBe(out));

  it.each([
    ['5min', "'5min'"],
    ["it's", "'it''s'"],
    ["'; DROP TABLE x; --", "'''; DROP TABLE x; --'"],
    ['back\\slash', "E'back\\\\slash'"],
    ["a\\'; DROP ROLE x; --", "E'a\\\\''; DROP ROLE x; --'"],
  ])('quoteLiteral(%j) = %s', (input, out) => expect(quoteLiteral(input)).toBe(out));

  it('refuses empty identifiers and NUL', () => {
    expect(() => quoteIdent('')).toThrow('invalid identifier ""');
    expect(() => quoteIdent('a\0b')).toThrow('must be non-empty with no NUL');
    expect(() => quoteLiteral('a\0b')).toThrow('must not contain NUL');
  });
});

describe('parseSearchPath (reading back pg_db_role_setting)', () => {
  it.each([
    ['"my-pg-db-schema", public', ['my-pg-db-schema', 'public']],
    ['app', ['app']],
    ['"""my-s""", public', ['"my-s"', 'public']],
    ['"a""b",c', ['a"b', 'c']],
  ])('%s', (stored, names) => expect(parseSearchPath(stored)).toEqual(names));
});
