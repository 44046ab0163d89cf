// Proves the calendar helpers: 24-hour days, clamped UTC months, payout months (R4.2, R5.1, R8.1).
import { describe, expect, it } from 'vitest';
import { addDays, addUtcMonths, monthOf, monthStart, nextMonth } from './time.js';
import { t } from './test-helpers.js';

describe('time', () => {
  it.each([
    ['2027-01-03T10:00:00Z', 45, '2027-02-17T10:00:00Z'],
    ['2027-01-17T10:00:00Z', 45, '2027-03-03T10:00:00Z'],
    ['2028-01-17T10:00:00Z', 45, '2028-03-02T10:00:00Z'],
  ])('R4.2: %s + %i days = %s', (from, count, to) => expect(addDays(t(from), count)).toBe(t(to)));

  it.each([
    ['2027-03-31T12:00:00Z', -1, '2027-02-28T12:00:00Z'],
    ['2028-02-29T08:00:00Z', -12, '2027-02-28T08:00:00Z'],
    ['2028-02-29T08:00:00Z', 12, '2029-02-28T08:00:00Z'],
    ['2027-06-15T00:00:00Z', -12, '2026-06-15T00:00:00Z'],
    ['2027-01-31T00:00:00Z', 1, '2027-02-28T00:00:00Z'],
    ['2027-12-10T00:00:00Z', 1, '2028-01-10T00:00:00Z'],
  ])('addUtcMonths(%s, %i) = %s', (from, months, to) => expect(addUtcMonths(t(from), months)).toBe(t(to)));

  it('payout months are half-open UTC intervals (R8.1)', () => {
    expect(monthStart('2027-03')).toBe(t('2027-03-01'));
    expect(monthOf(t('2027-03-31T23:59:59.999Z'))).toBe('2027-03');
    expect(nextMonth('2027-12')).toBe('2028-01');
    expect(() => monthStart('2027-13')).toThrow(/YYYY-MM/);
    expect(() => monthStart('2027-3')).toThrow(/YYYY-MM/);
  });
});
