// Issue 8.2: invisible and bidirectional characters and surrounding white space are refused with the code point named.
import { describe, expect, it } from 'vitest';
import { invisibleCharacterProblem } from '../../lib/spec/text-rules.js';

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
