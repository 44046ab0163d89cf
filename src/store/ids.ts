import { createHash, randomBytes } from 'node:crypto';
import type { IdSource } from '../domain/index.js';

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

/**
 * Ids for the domain's commissions and entries, derived from the program and the domain's seed:
 * the same decision always yields the same id, so a primary key refuses a second copy of it.
 */
export function programIds(programId: string): IdSource {
  const derive = (prefix: string, seed: string) =>
    `${prefix}_${createHash('sha256').update(`${programId}\u0000${seed}`).digest('base64url').slice(0, 24)}`;
  return { commission: (seed) => derive('com', seed), entry: (seed) => derive('ent', seed) };
}
