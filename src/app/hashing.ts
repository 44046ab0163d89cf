// Secrets at rest. Passwords and security answers: argon2id (@node-rs/argon2, OWASP parameters).
// API keys and one-time tokens are 160+ bits of randomness, so a plain SHA-256 is enough and lets
// us look them up by hash.
import { hash as digest } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// `Algorithm.Argon2id` is an ambient const enum (2) that isolated modules cannot read.
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** Hex SHA-256 in one call (no Hash object: half the cost, and the click redirect hashes every address). */
export function sha256(text: string): string {
  return digest('sha256', text, 'hex');
}
