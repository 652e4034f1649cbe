// Temporary firefighter passwords: CSPRNG, unbiased, and safe to paste into psql, a URL or a shell.
import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const MIN_PASSWORD_LENGTH = 32;
export const DEFAULT_PASSWORD_LENGTH = 40;

/** 40 characters from 62 symbols: about 238 bits of entropy. */
export function generatePassword(length = DEFAULT_PASSWORD_LENGTH): string {
  if (!Number.isInteger(length) || length < MIN_PASSWORD_LENGTH || length > 256) {
    throw new Error(`password length must be an integer from ${MIN_PASSWORD_LENGTH} to 256, got ${length}`);
  }
  // Rejection sampling: bytes >= 248 (4 * 62) are discarded so every symbol is equally likely.
  const limit = 256 - (256 % ALPHABET.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += ALPHABET[byte % ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}
