// "Did you mean": the closest of the allowed words to one that is not, for spec keys and values and CLI flags.

/** Optimal string alignment distance (Levenshtein plus one transposition of neighbours), case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(s.length, t.length);
}

/**
 * The allowed word closest to `input` when it is close enough to be a typo (at most a third of its letters
 * off, at least one), or one that `input` is a case-insensitive prefix or extension of; otherwise undefined.
 */
export function closest(input: string, allowed: readonly string[]): string | undefined {
  if (input.length === 0 || input.length > 100) return undefined;
  let best: { word: string; score: number } | undefined;
  for (const word of allowed) {
    if (word === input) continue;
    const lower = input.toLowerCase();
    const w = word.toLowerCase();
    const score = w === lower ? 0 : distance(input, word);
    const limit = Math.max(1, Math.floor(Math.max(input.length, word.length) / 3));
    const related = input.length >= 3 && (w.startsWith(lower) || lower.startsWith(w));
    if ((score <= limit || related) && (!best || score < best.score)) best = { word, score };
  }
  return best?.word;
}

/** ` (did you mean "x"?)` to append to a message, or '' when nothing is close (or `input` is no string). */
export function didYouMean(input: unknown, allowed: readonly string[], quote: (word: string) => string = (w) => JSON.stringify(w)): string {
  const word = typeof input === 'string' ? closest(input, allowed) : undefined;
  return word === undefined ? '' : ` (did you mean ${quote(word)}?)`;
}
