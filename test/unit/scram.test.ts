// SCRAM-SHA-256 verifiers: checked against RFC 7677's worked example (a real exchange, not our own output),
// and the parser agrees with the server-side rule in sql/db_admin.sql.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generatePassword, MIN_PASSWORD_LENGTH } from '../../lib/broker/protocol/password.js';
import { isScramSha256Verifier, parseScramSha256Verifier, scramSha256Verifier } from '../../lib/broker/protocol/scram.js';

describe('scramSha256Verifier', () => {
  it('reproduces the RFC 7677 exchange: the client proof checks against StoredKey, the server signature is ServerKey\'s', () => {
    const verifier = scramSha256Verifier('pencil', { salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64') });
    const parts = parseScramSha256Verifier(verifier);
    if (!parts) throw new Error('the verifier did not parse');
    const authMessage = 'n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const serverSignature = createHmac('sha256', parts.serverKey).update(authMessage).digest('base64');
    expect(serverSignature).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    const clientSignature = createHmac('sha256', parts.storedKey).update(authMessage).digest();
    const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
    const clientKey = Buffer.from(proof.map((b, i) => b ^ (clientSignature[i] ?? 0)));
    expect(createHash('sha256').update(clientKey).digest().equals(parts.storedKey)).toBe(true);
  });

  it('salts randomly: the same password gives a different verifier each time', () => {
    expect(scramSha256Verifier('same-password-twice')).not.toBe(scramSha256Verifier('same-password-twice'));
  });

  it.each([
    ['a space', 'has a space'],
    ['a non-ASCII character', 'pässwörd-without-saslprep'],
    ['nothing', ''],
  ])('refuses a password with %s (SASLprep would change it at login)', (_n, password) => {
    expect(() => scramSha256Verifier(password)).toThrow('password must be printable ASCII without spaces');
  });

  it('refuses fewer than 4096 iterations and a short salt', () => {
    expect(() => scramSha256Verifier('x'.repeat(32), { iterations: 1000 })).toThrow('iterations must be an integer >= 4096, got 1000');
    expect(() => scramSha256Verifier('x'.repeat(32), { salt: Buffer.alloc(8) })).toThrow('salt must be at least 16 bytes');
  });
});

describe('parseScramSha256Verifier', () => {
  const good = scramSha256Verifier('a-good-password-for-the-parser-0001', { iterations: 10_000 });
  const [, head = '', keys = ''] = good.split('$');
  const [storedKey = '', serverKey = ''] = keys.split(':');

  it('splits a verifier into iterations, salt and two 32-byte keys', () => {
    expect(parseScramSha256Verifier(good)).toMatchObject({ iterations: 10_000 });
    expect(parseScramSha256Verifier(good)?.storedKey).toHaveLength(32);
  });

  it.each([
    ['a plaintext', 'this-is-a-plaintext-password-of-40-chars'],
    ['an md5 hash', `md5${'a'.repeat(32)}`],
    ['4095 iterations', good.replace(`$${head}`, `$4095:${head.split(':')[1]}`)],
    ['an 8-byte salt', `SCRAM-SHA-256$4096:${Buffer.alloc(8, 1).toString('base64')}$${keys}`],
    ['a 31-byte stored key', `SCRAM-SHA-256$${head}$${Buffer.alloc(31, 1).toString('base64')}:${serverKey}`],
    ['a 33-byte server key', `SCRAM-SHA-256$${head}$${storedKey}:${Buffer.alloc(33, 1).toString('base64')}`],
    ['a trailing newline', `${good}\n`],
    ['SQL after it', `${good}' SUPERUSER --`],
    ['a lower-case prefix', good.replace('SCRAM-SHA-256', 'scram-sha-256')],
    ['a number', 42],
    ['null', null],
  ])('refuses %s', (_n, value) => {
    expect(parseScramSha256Verifier(value)).toBeUndefined();
    expect(isScramSha256Verifier(value)).toBe(false);
  });
});

describe('generatePassword', () => {
  it('is at least 32 characters from a URL-, shell- and psql-safe alphabet, and never repeats', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      expect(p.length).toBeGreaterThanOrEqual(MIN_PASSWORD_LENGTH);
      expect(p).toMatch(/^[A-Za-z0-9]+$/);
      expect(encodeURIComponent(p)).toBe(p);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });

  it('uses every symbol about equally often (no modulo bias worth the name)', () => {
    const counts = new Map<string, number>();
    for (const c of Array.from({ length: 500 }, () => generatePassword(64)).join('')) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    const expected = (500 * 64) / 62;
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.25);
  });

  it('refuses a length under 32', () => {
    expect(() => generatePassword(31)).toThrow('password length must be an integer from 32 to 256, got 31');
  });
});
