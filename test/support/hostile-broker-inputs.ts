// Generated hostile broker events: wrong types, huge strings, unicode, SQL in every field, unknown roles and
// actions, bad hours, and (when given a proof factory) missing or forged identity proofs. Deterministic, so a
// failure names the same input every run.
const SQL = [`'; DROP ROLE my_pg_admin; --`, `" OR 1=1 --`, `$$; ALTER ROLE my_pg_firefighter_rw SUPERUSER; $$`, `\\'; SELECT pg_sleep(10); --`, `my_pg_firefighter_ro" PASSWORD 'x`];
const UNICODE = ['\u202eINC-1', 'INC\u00001', 'INC-1\nforged: line', 'INC-1\r\n', '\ud800lone', 'INC-\u2028-1', 'ＩＮＣ－１', '🔥'.repeat(200), '\u0085next-line'];
const WRONG_TYPES: unknown[] = [null, 0, -1, 1.5, NaN, Infinity, true, [], ['INC-1'], {}, { toString: 'INC-1' }];

export interface HostileInput {
  readonly name: string;
  readonly event: unknown;
}

/** `valid` returns a fresh, valid request event (with a valid identity proof when the broker needs one). */
export function hostileInputs(valid: () => Record<string, unknown>, required: readonly string[] = ['action', 'role', 'incidentId', 'reason']): HostileInput[] {
  const out: HostileInput[] = [];
  const add = (name: string, event: unknown) => out.push({ name, event });
  const fields: Record<string, unknown[]> = {
    action: ['REQUEST', 'grant', 'drop', '', ...SQL, ...WRONG_TYPES],
    role: ['admin', 'RO', 'r0', 'my_pg_firefighter_ro', 'my_pg_app', 'postgres', 'rdsadmin', '', 'ro ', ...SQL, ...WRONG_TYPES],
    incidentId: ['', '   ', 'x'.repeat(129), 'x'.repeat(100_000), ...SQL, ...UNICODE, ...WRONG_TYPES],
    // SQL in a reason is legitimate text (stored verbatim through a bind parameter), so it is not here.
    reason: ['', ' \t ', 'r'.repeat(1001), 'r'.repeat(1_000_000), '\u202ereason', 'reason\u0000x', 'reason\nforged: line', '\ud800lone', 'a\u2028b', '\u0085x', '\u2066isolate', ...WRONG_TYPES],
    hours: [0, 3, -1, 2.5, NaN, Infinity, '2', '1', '2 hours', null, true, [2], { hours: 2 }, 1e9, -0.5],
    takeover: ['true', 1, 0, null, 'yes', [], {}],
    database: ['postgres', 'template1', 'my-pg-db ', '', ...SQL, ...WRONG_TYPES.filter((v) => v !== undefined)],
  };
  for (const [field, values] of Object.entries(fields)) {
    values.forEach((value, i) => add(`${field} #${i} (${typeof value})`, { ...valid(), [field]: value }));
  }
  for (const field of required) {
    const event = valid();
    delete event[field];
    add(`missing ${field}`, event);
  }
  for (const key of ['password', 'requester', 'requestedBy', '__proto__x', 'hours ', 'constructor', 'identity2', 'verifier']) {
    add(`extra key ${key}`, { ...valid(), [key]: 'arn:aws:iam::123456789012:role/admin' });
  }
  for (const event of [null, undefined, 'request', 42, [], [{ action: 'request' }], true]) add(`a non-object event (${typeof event})`, event);
  return out;
}

/** Identity-proof attacks: malformed proofs, and the `forged` ones the caller made (expired, other broker, ...). */
export function hostileIdentities(valid: () => Record<string, unknown>, forged: readonly object[]): HostileInput[] {
  const out: HostileInput[] = [];
  const base = () => {
    const event = valid();
    delete event.identity;
    return event;
  };
  out.push({ name: 'no identity proof', event: base() });
  [null, 'proof', 42, [], {}, { method: 'GET', headers: {}, body: '' }, { method: 'POST', headers: 'x', body: '' }, { method: 'POST', headers: {}, body: '' },
    { method: 'POST', headers: { authorization: 'x'.repeat(9000) }, body: '' }, { method: 'POST', headers: { 'bad header': 'x' }, body: '' },
    { method: 'POST', headers: { a: 'x' }, body: 'y'.repeat(2000) }, { method: 'POST', headers: { a: 'x\n' }, body: '' }, { method: 'POST', headers: { a: 'x' }, body: '', extra: 1 }]
    .forEach((identity, i) => out.push({ name: `malformed proof #${i}`, event: { ...base(), identity } }));
  forged.forEach((identity, i) => out.push({ name: `forged proof #${i}`, event: { ...base(), identity } }));
  return out;
}
