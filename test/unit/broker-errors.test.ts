// Database errors leave the broker as a code and a scrubbed message only: the fields where pg carries the
// failing SQL (and with it a verifier) are gone, and secret-shaped text is removed even when not named.
import { describe, expect, it } from 'vitest';
import { BrokerError, exitCodeOf, fromDatabaseError, redact } from '../../lib/broker/errors.js';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';

const password = 'Zx8kQ2mN4pR6sT8vW0yA2cE4gI6kM8oQ1sU3';
const verifier = scramSha256Verifier(password);
const token = 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=b&X-Amz-Credential=ASIAEXAMPLE00000000%2F20260101&X-Amz-Signature=abcdef0123456789';

function pgError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message)), fields);
}

describe('fromDatabaseError', () => {
  it('drops where, internalQuery, detail and cause, and scrubs the message', () => {
    const raw = pgError({
      message: `permission denied to alter role; ALTER ROLE x PASSWORD '${verifier}'`, code: '42501', severity: 'ERROR',
      where: `SQL statement "ALTER ROLE "my_pg_firefighter_ro" PASSWORD '${verifier}' VALID UNTIL '2026-01-01'"\nPL/pgSQL function db_admin.set_firefighter_password line 40 at EXECUTE`,
      internalQuery: `ALTER ROLE "my_pg_firefighter_ro" PASSWORD '${verifier}'`, detail: password,
    });
    const error = fromDatabaseError(raw, 'setting the password of my_pg_firefighter_ro', [password, verifier]);
    const everything = JSON.stringify({ ...error, message: error.message, stack: error.stack, cause: (error as { cause?: unknown }).cause });
    for (const secret of [password, verifier, verifier.split('$')[2] ?? 'x']) expect(everything).not.toContain(secret);
    expect(error).toMatchObject({ code: 'FAILURE', message: "setting the password of my_pg_firefighter_ro failed (42501): permission denied to alter role; ALTER ROLE x PASSWORD '[redacted]'" });
    expect(Object.keys(error).sort()).toEqual(['code', 'details', 'name']);
  });

  it.each([
    ['FF004', 'ROLE_HELD', 2],
    ['FF001', 'REFUSED', 2],
    ['FF002', 'REFUSED', 2],
    ['FF003', 'REFUSED', 2],
    ['FF005', 'REFUSED', 2],
    ['28P01', 'UNAVAILABLE', 1],
    ['57014', 'UNAVAILABLE', 1],
    ['42501', 'FAILURE', 1],
  ])('maps SQLSTATE %s to %s (exit %i)', (sqlstate, code, exit) => {
    const error = fromDatabaseError(pgError({ message: 'm', code: sqlstate }), 'x', []);
    expect(error.code).toBe(code);
    expect(exitCodeOf(error.code)).toBe(exit);
    expect(error.refusal).toBe(exit === 2);
  });

  it('redacts a token, a verifier and access keys it was not told about', () => {
    expect(redact(`token ${token} verifier ${verifier} key AKIAABCDEFGHIJKLMNOP`)).toBe(
      'token my-pg.cluster-abc.eu-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=b&[redacted]&[redacted] verifier [redacted] key [redacted]');
  });

  it('a BrokerError passes through with its message scrubbed again', () => {
    const error = fromDatabaseError(new BrokerError('ROLE_HELD', `held; ${password}`), 'x', [password]);
    expect(error.message).toBe('held; [redacted]');
  });
});
