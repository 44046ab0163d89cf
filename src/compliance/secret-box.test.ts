// Proves sealed secrets open only with the right key and context, and that any change is detected.
import { describe, expect, it } from 'vitest';

import { decryptString, encryptString, generateKey, parseKey, SecretBox, SecretBoxError } from './secret-box.js';

describe('SecretBox', () => {
  const key = generateKey();
  const box = new SecretBox(key);

  it('round-trips, with a versioned format and a fresh IV each time', () => {
    const a = box.seal('123-45-6789');
    const b = box.seal('123-45-6789');
    expect(a).toMatch(/^v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(box.open(a)).toBe('123-45-6789');
    expect(box.open(b)).toBe('123-45-6789');
    expect(a).not.toContain('6789');
  });

  it('round-trips unicode and the empty string', () => {
    for (const text of ['', 'Zoë Ñúñez 東京', 'x'.repeat(10_000)]) expect(box.open(box.seal(text))).toBe(text);
  });

  it('accepts keys as hex, base64 and base64url', () => {
    const raw = parseKey(key);
    const sealed = box.seal('secret');
    expect(new SecretBox(raw.toString('hex')).open(sealed)).toBe('secret');
    expect(new SecretBox(raw.toString('base64url')).open(sealed)).toBe('secret');
    expect(decryptString(encryptString('secret', raw), raw.toString('hex'))).toBe('secret');
  });

  it('refuses keys that are not 32 bytes, without echoing them', () => {
    for (const bad of ['', 'short', 'a'.repeat(63), Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('base64')]) {
      const error = (() => {
        try {
          parseKey(bad);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error, bad).toBeInstanceOf(SecretBoxError);
      if (bad.length > 4) expect((error as Error).message).not.toContain(bad);
    }
  });

  it('detects tampering with any part', () => {
    const sealed = box.seal('123-45-6789');
    const [version, iv, tag, ciphertext] = sealed.split(':') as [string, string, string, string];
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString('base64');
    };
    for (const altered of [
      [version, flip(iv), tag, ciphertext],
      [version, iv, flip(tag), ciphertext],
      [version, iv, tag, flip(ciphertext)],
    ]) {
      expect(() => box.open(altered.join(':'))).toThrow(expect.objectContaining({ code: 'tampered' }));
    }
    expect(() => box.open(['v2', iv, tag, ciphertext].join(':'))).toThrow(expect.objectContaining({ code: 'unsupported_version' }));
    expect(() => box.open('v1:only:three')).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => box.open(`v1:${iv}:${tag.slice(0, 8)}:${ciphertext}`)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => box.open(`v1:${iv}:${tag}:@@@`)).toThrow(expect.objectContaining({ code: 'malformed' }));
  });

  it('refuses another key', () => {
    const sealed = box.seal('123-45-6789');
    expect(() => new SecretBox(generateKey()).open(sealed)).toThrow(expect.objectContaining({ code: 'tampered' }));
  });

  it('binds a ciphertext to its associated data', () => {
    const sealed = box.seal('123-45-6789', 'affiliate:aff_1');
    expect(box.open(sealed, 'affiliate:aff_1')).toBe('123-45-6789');
    expect(() => box.open(sealed, 'affiliate:aff_2')).toThrow(SecretBoxError);
    expect(() => box.open(sealed)).toThrow(SecretBoxError);
  });

  it('does not show the key when inspected', () => {
    expect(JSON.stringify(box)).toBe('{}');
  });
});
