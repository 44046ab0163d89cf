// Encryption of small secrets at rest (api.md: "TINs are stored encrypted and never returned in
// full"). AES-256-GCM with a fresh random 96-bit IV per message and a 128-bit tag, so a changed
// byte anywhere is detected. The output names its version so that the format or key can change
// later without guessing: `v1:<iv b64>:<tag b64>:<ciphertext b64>`.
//
// Optional associated data binds a ciphertext to its row (e.g. the affiliate id): a TIN copied
// onto another affiliate's row then fails to open instead of decrypting as theirs.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

export class SecretBoxError extends Error {
  constructor(
    readonly code: 'invalid_key' | 'malformed' | 'unsupported_version' | 'tampered',
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** A new random key, base64, for `AFFABLE_SECRET_KEY`. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/**
 * The 32-byte key from `AFFABLE_SECRET_KEY`: 64 hex characters, or base64 (standard or URL-safe)
 * of 32 bytes. The error never repeats the value.
 */
export function parseKey(text: string): Buffer {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  throw new SecretBoxError('invalid_key', 'AFFABLE_SECRET_KEY must be 32 bytes as 64 hex characters or base64 (generate one with generateKey()).');
}

function strictBase64(part: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(part) || part.length % 4 !== 0) return null;
  return Buffer.from(part, 'base64');
}

export class SecretBox {
  readonly #key: Buffer;

  /** `key`: 32 raw bytes, or the text form accepted by {@link parseKey}. */
  constructor(key: Buffer | string) {
    const bytes = typeof key === 'string' ? parseKey(key) : Buffer.from(key);
    if (bytes.length !== KEY_BYTES) throw new SecretBoxError('invalid_key', `A secret-box key is ${KEY_BYTES} bytes.`);
    this.#key = bytes;
  }

  /** `seal('123-45-6789')` → `'v1:…:…:…'`; two seals of the same text differ (random IV). */
  seal(plaintext: string, associatedData?: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':');
  }

  /** The plaintext, or a {@link SecretBoxError} if the text was altered, malformed or sealed with another key. */
  open(sealed: string, associatedData?: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 4) throw new SecretBoxError('malformed', 'Not a sealed secret (expected v1:iv:tag:ciphertext).');
    const [version, ivText, tagText, ciphertextText] = parts as [string, string, string, string];
    if (version !== VERSION) throw new SecretBoxError('unsupported_version', `Unsupported sealed-secret version "${version.slice(0, 8)}".`);
    const iv = strictBase64(ivText);
    const tag = strictBase64(tagText);
    const ciphertext = strictBase64(ciphertextText);
    if (!iv || iv.length !== IV_BYTES || !tag || tag.length !== TAG_BYTES || !ciphertext) {
      throw new SecretBoxError('malformed', 'Not a sealed secret (bad IV, tag or ciphertext encoding).');
    }
    const decipher = createDecipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('tampered', 'The sealed secret failed authentication (altered, or sealed with another key).');
    }
  }
}

/** `encryptString(text, key)`: one-shot {@link SecretBox.seal}. */
export function encryptString(plaintext: string, key: Buffer | string, associatedData?: string): string {
  return new SecretBox(key).seal(plaintext, associatedData);
}

/** `decryptString(sealed, key)`: one-shot {@link SecretBox.open}. */
export function decryptString(sealed: string, key: Buffer | string, associatedData?: string): string {
  return new SecretBox(key).open(sealed, associatedData);
}
