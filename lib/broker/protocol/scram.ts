// SCRAM-SHA-256 verifiers (RFC 5802 / RFC 7677, as PostgreSQL stores them), computed on the client so a
// plaintext password never travels to the server or into its logs.
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';

export const MIN_SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

export interface ScramOptions {
  /** @default 4096 (PostgreSQL's default scram_iterations) */
  readonly iterations?: number;
  /** @default 16 random bytes */
  readonly salt?: Buffer;
}

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. Only printable ASCII passwords are
 * accepted: for those, SASLprep (which the server applies at login) changes nothing.
 */
export function scramSha256Verifier(password: string, options: ScramOptions = {}): string {
  const { iterations, salt } = checked(password, options);
  return fromSaltedPassword(pbkdf2Sync(password, salt, iterations, 32, 'sha256'), salt, iterations);
}

/** The same verifier, with the key derivation on libuv's thread pool, so it can overlap network I/O. */
export function scramSha256VerifierAsync(password: string, options: ScramOptions = {}): Promise<string> {
  const { iterations, salt } = checked(password, options);
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, 32, 'sha256', (error, salted) => (error ? reject(error) : resolve(fromSaltedPassword(salted, salt, iterations))));
  });
}

function checked(password: string, options: ScramOptions): { iterations: number; salt: Buffer } {
  if (!/^[\x21-\x7e]+$/.test(password)) throw new Error('password must be printable ASCII without spaces');
  const iterations = options.iterations ?? MIN_SCRAM_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS) throw new Error(`iterations must be an integer >= ${MIN_SCRAM_ITERATIONS}, got ${iterations}`);
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  if (salt.length < SALT_BYTES) throw new Error(`salt must be at least ${SALT_BYTES} bytes`);
  return { iterations, salt };
}

function fromSaltedPassword(salted: Buffer, salt: Buffer, iterations: number): string {
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

const VERIFIER = /^SCRAM-SHA-256\$([0-9]{4,7}):([A-Za-z0-9+/]{22,88}={0,2})\$([A-Za-z0-9+/]{43}=):([A-Za-z0-9+/]{43}=)$/;

export interface ScramVerifierParts {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/**
 * Splits a verifier into its parts, or undefined when it is not one the server would accept as a verifier:
 * the same rule as db_admin.set_firefighter_password (iterations >= 4096, salt >= 16 bytes, 32-byte keys).
 */
export function parseScramSha256Verifier(value: unknown): ScramVerifierParts | undefined {
  if (typeof value !== 'string') return undefined;
  const m = VERIFIER.exec(value);
  if (!m || Number(m[1]) < MIN_SCRAM_ITERATIONS || (m[2] ?? '').length % 4 !== 0) return undefined;
  const salt = Buffer.from(m[2] ?? '', 'base64');
  const storedKey = Buffer.from(m[3] ?? '', 'base64');
  const serverKey = Buffer.from(m[4] ?? '', 'base64');
  if (salt.length < SALT_BYTES || storedKey.length !== 32 || serverKey.length !== 32) return undefined;
  return { iterations: Number(m[1]), salt, storedKey, serverKey };
}

/** Same rule as db_admin.set_firefighter_password, so the broker refuses before it calls the server. */
export function isScramSha256Verifier(value: unknown): boolean {
  return parseScramSha256Verifier(value) !== undefined;
}
