import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random, unguessable id with a type prefix: `newId('aff')` → `aff_k3j9…` (Stripe style). */
export function newId(prefix: string, length = 20): string {
  return `${prefix}_${randomToken(length)}`;
}

/** `length` characters of [0-9a-z] from a CSPRNG, without modulo bias. */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 252) out += ALPHABET[byte % 36];
      if (out.length === length) break;
    }
  }
  return out;
}
