// R10.1 account identifiers: usernames (unique without regard to case, no reserved word anywhere
// in them) and e-mail normalisation (trim + lower-case; `+alias` stays a different address, R4.5).
import { DomainError } from './errors.js';

/** R10.1: the default reserved words (the Kartra demo's): the brand and misleading words. */
export const DEFAULT_RESERVED_WORDS: readonly string[] = Object.freeze(['kartra', 'admin', 'support', 'secure', 'security', 'official', 'billing']);

const USERNAME_PATTERN = /^[a-z0-9_-]{3,30}$/i;

export type UsernameCheck = { ok: true; key: string } | { ok: false; error: DomainError };

/**
 * R10.1: a username is 3–30 characters of `[a-z0-9_-]` (any case) and contains no reserved word,
 * compared without regard to case. `key` is the lower-cased form used for uniqueness.
 * @example checkUsername('JaneDoe', DEFAULT_RESERVED_WORDS) // { ok: true, key: 'janedoe' }
 * @example checkUsername('my-KARTRA-deals').ok === false // username_reserved
 */
export function checkUsername(username: string, reservedWords: readonly string[] = DEFAULT_RESERVED_WORDS): UsernameCheck {
  if (!USERNAME_PATTERN.test(username)) {
    return {
      ok: false,
      error: new DomainError('username_invalid', 'A username is 3–30 characters: letters, digits, "_" or "-".', { username }, 'username'),
    };
  }
  const key = username.toLowerCase();
  const hit = reservedWords.map((word) => word.trim().toLowerCase()).find((word) => word.length > 0 && key.includes(word));
  if (hit !== undefined) {
    return {
      ok: false,
      error: new DomainError('username_reserved', `A username may not contain the reserved word "${hit}".`, { username, word: hit }, 'username'),
    };
  }
  return { ok: true, key };
}

/** Like `checkUsername` but throws the DomainError. @example assertUsername('jane') === 'jane' */
export function assertUsername(username: string, reservedWords: readonly string[] = DEFAULT_RESERVED_WORDS): string {
  const result = checkUsername(username, reservedWords);
  if (!result.ok) throw result.error;
  return result.key;
}

/**
 * R10.1/R4.5: trims and lower-cases an e-mail. A `+alias` is kept: the page treats
 * `a+x@y.com` and `a@y.com` as two addresses.
 * @example normaliseEmail('  Jane@Example.COM ') === 'jane@example.com'
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
