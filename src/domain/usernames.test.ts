// Proves R10.1: username shape and reserved words anywhere (any case); e-mail normalisation (R4.5).
import { describe, expect, it } from 'vitest';
import { assertUsername, checkUsername, DEFAULT_RESERVED_WORDS, normaliseEmail } from './usernames.js';

describe('R10.1 usernames', () => {
  it.each([
    ['jane', 'jane'],
    ['Jane_Doe-99', 'jane_doe-99'],
    ['abc', 'abc'],
    ['a'.repeat(30), 'a'.repeat(30)],
  ])('accepts %s (key %s)', (username, key) => expect(checkUsername(username)).toEqual({ ok: true, key }));

  it.each([
    ['ab', 'username_invalid'],
    ['a'.repeat(31), 'username_invalid'],
    ['jane doe', 'username_invalid'],
    ['jané', 'username_invalid'],
    ['jane.doe', 'username_invalid'],
    ['', 'username_invalid'],
    ['kartra', 'username_reserved'],
    ['MyKARTRAdeals', 'username_reserved'],
    ['superadmin', 'username_reserved'],
    ['Support-Team', 'username_reserved'],
    ['insecure', 'username_reserved'],
    ['securityguy', 'username_reserved'],
    ['officialjane', 'username_reserved'],
    ['billing_dept', 'username_reserved'],
  ])('refuses %s with %s', (username, code) => {
    const result = checkUsername(username, DEFAULT_RESERVED_WORDS);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.field).toBe('username');
    }
  });

  it('uses the reserved list it is given (the list is a setting)', () => {
    expect(checkUsername('kartrafan', ['acme']).ok).toBe(true);
    expect(checkUsername('ACMEfan', ['acme']).ok).toBe(false);
    expect(() => assertUsername('admin1')).toThrow(/reserved word "admin"/);
    expect(assertUsername('Jane')).toBe('jane');
  });
});

describe('R10.1/R4.5 e-mail normalisation', () => {
  it.each([
    ['  Jane@Example.COM ', 'jane@example.com'],
    ['jane+aff@example.com', 'jane+aff@example.com'],
    ['JANE+AFF@example.com', 'jane+aff@example.com'],
  ])('normaliseEmail(%j) = %s', (raw, normal) => expect(normaliseEmail(raw)).toBe(normal));
  it('keeps +alias distinct', () => expect(normaliseEmail('a+x@y.com')).not.toBe(normaliseEmail('a@y.com')));
});
