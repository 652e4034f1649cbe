// Rules for text that people read back later (spec names, audit fields): what you see is what is stored.
// Shared by spec validation and the broker's input checks.

/**
 * Control (Cc), format (Cf: zero-width and bidirectional marks such as U+200B, U+FEFF, U+061C, U+202E),
 * line and paragraph separators (Zl, Zp), and unpaired surrogates (Cs, which no UTF-8 server can store).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `value` cannot be shown faithfully, or undefined when it can. The message names the first offending
 * code point and its position (in characters, from 1), never the whole value; the caller names the field.
 */
export function invisibleCharacterProblem(value: string): string | undefined {
  const chars = [...value];
  const at = chars.findIndex((ch) => INVISIBLE.test(ch));
  if (at >= 0) {
    return `contains the invisible or control character ${codePoint(chars[at] ?? '')} at position ${at + 1}; type the text again without it`;
  }
  if (/^\s|\s$/u.test(value)) return 'starts or ends with white space; remove it';
  return undefined;
}

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` safe to put on one human-readable line (a finding, a plan comment, a CLI message, a log line people
 * read): every character INVISIBLE matches becomes a visible escape (`\n`, `\r`, `\t`, else `\u202E` or
 * `\u{E0041}`), so a name from the catalog such as `orders\nSELECT 'INJECTED'` can neither start a line of its
 * own (forging a finding in a CI log, or ending a `--` comment in a plan a DBA runs) nor hide behind a
 * bidirectional mark. Everything else is left as is. Not for SQL: statements keep the exact quoted name.
 */
export function printable(text: string): string {
  return text.replace(INVISIBLE_ALL, (ch) => {
    const short = SHORT_ESCAPES[ch];
    if (short) return short;
    const cp = ch.codePointAt(0) ?? 0;
    return cp > 0xffff ? `\\u{${cp.toString(16).toUpperCase()}}` : `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}
