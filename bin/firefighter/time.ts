// One way to show a time to a person, in every human message of the CLI: `03:40 UTC (2026-12-07)`. UTC because
// an incident channel spans zones and the audit, the server log and CloudWatch speak UTC; --json keeps ISO 8601.

/** `03:40 UTC (2026-12-07)`; the text itself when it is not a time. */
export function humanTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const text = at.toISOString();
  return `${text.slice(11, 16)} UTC (${text.slice(0, 10)})`;
}

// ISO 8601 as the broker and db_admin write it (2026-12-07T03:40:00Z, with or without fractions or an offset).
const ISO_IN_TEXT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/g;

/** The broker's messages carry ISO times (the Lambda answers machines too); shown to a person, they read as humanTime. */
export function humanizeTimes(text: string): string {
  return text.replace(ISO_IN_TEXT, (iso) => humanTime(iso));
}
