// Issue 8.2: invisible and bidirectional characters and surrounding white space are refused with the code point named.
import { describe, expect, it } from 'vitest';
import { invisibleCharacterProblem, printable } from '../../lib/spec/text-rules.js';
import type { Step } from '../../lib/plan/plan-types.js';
import { renderPlan } from '../../lib/plan/render-plan.js';
import { quoteIdent } from '../../lib/plan/sql-text.js';

describe('invisibleCharacterProblem', () => {
  it.each([
    ['zero width space', 'inc\u200b-1', 'U+200B at position 4'],
    ['byte order mark', '\ufeffinc-1', 'U+FEFF at position 1'],
    ['arabic letter mark', 'inc\u061c1', 'U+061C at position 4'],
    ['right-to-left override', 'abc\u202edcba', 'U+202E at position 4'],
    ['line separator', 'a\u2028b', 'U+2028 at position 2'],
    ['paragraph separator', 'a\u2029b', 'U+2029 at position 2'],
    ['newline', 'a\nb', 'U+000A at position 2'],
    ['DEL', 'a\u007f', 'U+007F at position 2'],
    ['C1 control', 'a\u0085', 'U+0085 at position 2'],
    ['lone surrogate', 'a\ud800', 'U+D800 at position 2'],
    ['position counts code points', '\u{1F525}\u200b', 'U+200B at position 2'],
  ])('refuses a %s', (_name, value, expected) => {
    expect(invisibleCharacterProblem(value)).toContain(expected);
  });

  it.each([' lead', 'trail ', '\u00a0nbsp', 'tab\t'])('refuses surrounding white space in %j', (value) => {
    expect(invisibleCharacterProblem(value)).toMatch(/white space|U\+0009/);
  });

  it.each(['my-pg-db', 'INC-2024 outage', 'schéma "quoted" $x$ \\ back', 'Ünïcödé 🔥', 'a b'])('accepts %j', (value) => {
    expect(invisibleCharacterProblem(value)).toBeUndefined();
  });
});

describe('printable (issue 17: names with control characters are escaped on every human line)', () => {
  it.each([
    ['a newline', "orders\nSELECT 'INJECTED'", "orders\\nSELECT 'INJECTED'"],
    ['a carriage return and a tab', 'a\rb\tc', 'a\\rb\\tc'],
    ['an escape sequence', '\u001b[2Jcleared', '\\u001B[2Jcleared'],
    ['a right-to-left override', 'abc\u202edcba', 'abc\\u202Edcba'],
    ['a zero width space', 'inc\u200b-1', 'inc\\u200B-1'],
    ['a line separator', 'a\u2028b', 'a\\u2028b'],
    ['a C1 control and DEL', 'a\u0085\u007f', 'a\\u0085\\u007F'],
    ['an astral format character (tag)', 'a\u{E0041}', 'a\\u{E0041}'],
  ])('escapes %s', (_name, value, expected) => {
    expect(printable(value)).toBe(expected);
  });

  it.each(['my-pg-db', 'schéma "quoted" $x$ \\ back', 'Ünïcödé 🔥', 'a b', ''])('leaves %j as it is', (value) => {
    expect(printable(value)).toBe(value);
  });
});

describe('renderPlan with a catalog name that holds a newline', () => {
  const name = "orders\nSELECT 'INJECTED'";
  const steps: Step[] = [
    { phase: 'database-objects', database: 'db', sql: `ALTER TABLE "s".${quoteIdent(name)} OWNER TO "o"`, reason: `"s".${quoteIdent(name)} is owned by "m"` },
    { phase: 'database-objects', database: 'db', sql: `REVOKE ALL ON "s".${quoteIdent(name)} FROM "x"`, reason: 'granted by a role the master cannot become', manual: true },
  ];
  const text = renderPlan(steps);

  it('keeps the SQL exact and escapes the name in every comment', () => {
    expect(text).toContain(`ALTER TABLE "s"."orders\nSELECT 'INJECTED'" OWNER TO "o";`);
    expect(text).toContain(`-- "s"."orders\\nSELECT 'INJECTED'" is owned by "m"`);
    expect(text).toContain(`-- (apply does not run this; run it yourself if you mean it) REVOKE ALL ON "s"."orders\\nSELECT 'INJECTED'" FROM "x";`);
  });

  it('leaves no line of SQL outside a comment but the statements apply runs (old: the comments ended at the newline)', () => {
    // Every raw newline in a name sits inside a quoted identifier of a statement that is not commented out.
    const lines = text.split('\n');
    const injected = lines.flatMap((l, i) => (l.startsWith("SELECT 'INJECTED'") ? [lines[i - 1] ?? ''] : []));
    expect(injected).toEqual(['ALTER TABLE "s"."orders']);
  });
});
