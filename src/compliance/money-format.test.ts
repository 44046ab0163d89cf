// Proves money turns into text and back with integer arithmetic only, per currency exponent.
import { describe, expect, it } from 'vitest';

import { currencyExponent, formatMinor, formatMinorForPayPal, MoneyFormatError, parseDecimalToMinor } from './money-format.js';

describe('formatMinor', () => {
  it.each([
    [4900, 'usd', '49.00'],
    [9900, 'USD', '99.00'],
    [5, 'USD', '0.05'],
    [0, 'EUR', '0.00'],
    [-105, 'EUR', '-1.05'],
    [-5, 'USD', '-0.05'],
    [123456789012, 'USD', '1234567890.12'],
    [4900, 'JPY', '4900'],
    [4900, 'krw', '4900'],
    [12345, 'KWD', '12.345'],
    [7, 'BHD', '0.007'],
    [150050, 'HUF', '1500.50'],
  ] as const)('%i %s → %s', (minor, currency, expected) => {
    expect(formatMinor(minor, currency)).toBe(expected);
  });

  it('refuses a non-integer amount and a non-currency', () => {
    expect(() => formatMinor(10.5, 'USD')).toThrow(MoneyFormatError);
    expect(() => formatMinor(Number.MAX_SAFE_INTEGER + 2, 'USD')).toThrow(MoneyFormatError);
    expect(() => formatMinor(100, 'dollars')).toThrow(MoneyFormatError);
  });

  it('knows exponents', () => {
    expect([currencyExponent('usd'), currencyExponent('JPY'), currencyExponent('KWD')]).toEqual([2, 0, 3]);
  });
});

describe('formatMinorForPayPal', () => {
  it('takes HUF and TWD in whole units only, and positive amounts only', () => {
    expect(formatMinorForPayPal(9900, 'usd')).toBe('99.00');
    expect(formatMinorForPayPal(4900, 'JPY')).toBe('4900');
    expect(formatMinorForPayPal(150000, 'HUF')).toBe('1500');
    expect(formatMinorForPayPal(300, 'TWD')).toBe('3');
    expect(() => formatMinorForPayPal(150050, 'HUF')).toThrow(MoneyFormatError);
    expect(() => formatMinorForPayPal(0, 'USD')).toThrow(MoneyFormatError);
    expect(() => formatMinorForPayPal(-1, 'USD')).toThrow(MoneyFormatError);
  });
});

describe('parseDecimalToMinor', () => {
  it.each([
    ['99.00', 'USD', 9900],
    ['6.5', 'USD', 650],
    ['6.37', 'usd', 637],
    ['0.01', 'USD', 1],
    ['1500', 'HUF', 150000],
    ['4900', 'JPY', 4900],
    ['4900.0', 'JPY', 4900],
    ['-1.05', 'EUR', -105],
    ['12.345', 'KWD', 12345],
  ] as const)('%s %s → %i', (value, currency, expected) => {
    expect(parseDecimalToMinor(value, currency)).toBe(expected);
  });

  it('refuses what is not an exact amount', () => {
    for (const bad of ['1.005', '', 'abc', '1e3', '1,00', '.5', '0x10']) {
      expect(() => parseDecimalToMinor(bad, 'USD'), bad).toThrow(MoneyFormatError);
    }
    expect(() => parseDecimalToMinor('49.5', 'JPY')).toThrow(MoneyFormatError);
  });

  it('round-trips with formatMinor', () => {
    for (const minor of [0, 1, 9, 10, 99, 100, 101, 123456, -7, -100]) {
      expect(parseDecimalToMinor(formatMinor(minor, 'USD'), 'USD')).toBe(minor);
      expect(parseDecimalToMinor(formatMinor(minor, 'JPY'), 'JPY')).toBe(minor);
    }
  });
});
