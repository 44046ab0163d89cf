// Proves the one rounding rule (style §2): half-up to the minor unit, exact for any safe amount.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyRateBps, formatBps, formatMinor, isValidRateBps, sumMinor } from './money.js';
import { isDomainError } from './errors.js';

describe('applyRateBps: amount × rate / 10000, half-up', () => {
  it.each([
    // [amount, rate, expected, why]
    [9900, 2000, 1980, 'R5 tier 1: 20% of $99'],
    [9900, 10000, 9900, 'R5 referral: 100% of the first monthly payment'],
    [9900, 1000, 990, 'R6.1: 10% JV'],
    [0, 4000, 0, 'nothing of nothing'],
    [12345, 0, 0, 'R5.7: rate 0 earns nothing'],
    [1, 5000, 1, 'exactly half a cent rounds up'],
    [1, 4999, 0, 'just under half a cent rounds down'],
    [3, 1667, 1, '0.5001 → 1'],
    [5, 1000, 1, '0.5 → 1'],
    [4, 1000, 0, '0.4 → 0'],
    [15, 1000, 2, '1.5 → 2'],
    [25, 1000, 3, '2.5 → 3 (half-up, not half-even)'],
    [99999, 3333, 33330, '33329.667 → 33330'],
    [1_000_000_000_000, 3333, 333_300_000_000, '1e12 × 3333 stays exact (BigInt path)'],
    [999_999_999_999, 3333, 333_300_000_000, '999999999999 × 0.3333 = 333299999999.6667 → 333300000000'],
    [900_719_925_474_099, 10000, 900_719_925_474_099, 'largest amounts at 100% stay exact'],
    [900_719_925_474_099, 9999, 900_629_853_481_552, 'BigInt half-up at the top of the range'],
  ])('applyRateBps(%i, %i) = %i (%s)', (amount, rate, expected) => {
    expect(applyRateBps(amount, rate)).toBe(expected);
  });

  it.each([
    [-1, 1000, 'negative amount'],
    [1.5, 1000, 'fractional amount'],
    [Number.MAX_SAFE_INTEGER + 1, 1000, 'unsafe amount'],
    [100, -1, 'negative rate'],
    [100, 10001, 'rate above 100%'],
    [100, 12.5, 'fractional rate'],
  ])('refuses %s × %s (%s)', (amount, rate) => {
    let caught: unknown;
    try {
      applyRateBps(amount, rate);
    } catch (error) {
      caught = error;
    }
    expect(isDomainError(caught)).toBe(true);
  });

  it('agrees with exact BigInt half-up for every safe amount and rate (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 10000 }), (amount, rate) => {
        const exact = (BigInt(amount) * BigInt(rate) + 5000n) / 10000n;
        expect(applyRateBps(amount, rate)).toBe(Number(exact));
      }),
      { numRuns: 2000 },
    );
  });

  it('is monotone in the amount, so cumulative partial reversals never shrink (R4.3)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 10000 }), (a, b, rate) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(applyRateBps(low, rate)).toBeLessThanOrEqual(applyRateBps(high, rate));
      }),
    );
  });
});

describe('R1.4 rate range', () => {
  it.each([
    [0, true],
    [999, false],
    [1000, true],
    [10000, true],
    [10001, false],
    [2500.5, false],
  ])('isValidRateBps(%s) = %s', (rate, ok) => expect(isValidRateBps(rate)).toBe(ok));
});

describe('formatting and sums', () => {
  it.each([
    [9900, '99.00'],
    [5, '0.05'],
    [-5, '-0.05'],
    [0, '0.00'],
    [123456789, '1234567.89'],
  ])('formatMinor(%i) = %s', (amount, text) => expect(formatMinor(amount)).toBe(text));
  it('formats other exponents and rates', () => {
    expect(formatMinor(1234, 0)).toBe('1234');
    expect(formatMinor(1234, 3)).toBe('1.234');
    expect(formatBps(2000)).toBe('20%');
    expect(formatBps(1250)).toBe('12.5%');
  });
  it('sums and refuses to overflow', () => {
    expect(sumMinor([1, 2, 3])).toBe(6);
    expect(() => sumMinor([Number.MAX_SAFE_INTEGER, 1])).toThrow();
  });
});
