// Proves the UI's money, percent and plan-preview arithmetic: integers in, exact text out.
import { describe, expect, it } from 'vitest';
import { money, parseMoney, percent } from './format.js';
import { checkTiers, preview, tierFor } from './plan.js';
import type { Tier } from './types.js';

describe('money and percent', () => {
  it.each([
    [0, 'usd', '$0.00'],
    [9900, 'usd', '$99.00'],
    [123456789, 'usd', '$1,234,567.89'],
    [-505, 'usd', '−$5.05'],
    [1500, 'jpy', '¥1,500'],
    [1, 'chf', 'CHF 0.01'],
  ])('%d %s → %s', (minor, currency, text) => {
    expect(money(minor, currency)).toBe(text);
  });
  it.each([
    ['1,000', 100000],
    ['99.9', 9990],
    ['0.05', 5],
    ['12.345', null],
    ['abc', null],
  ])('parses %s', (text, minor) => {
    expect(parseMoney(text)).toBe(minor);
  });
  it.each([
    [10000, '100%'],
    [2000, '20%'],
    [1250, '12.5%'],
    [1205, '12.05%'],
  ])('%d bps → %s', (bps, text) => {
    expect(percent(bps)).toBe(text);
  });
});

const r = (first: number, recurring: number) => ({ first_bps: first, recurring_bps: recurring });
const DEFAULT: Tier[] = [
  { key: 'referral', name: 'Referral', min_customers: 0, revenue_above: null, rates: { month: r(10000, 0), year: r(2000, 0) } },
  { key: 'tier_1', name: 'Tier 1', min_customers: 2, revenue_above: null, rates: { month: r(2000, 2000), year: r(2000, 2000) } },
  { key: 'tier_2', name: 'Tier 2', min_customers: 2, revenue_above: 100000, rates: { month: r(3000, 3000), year: r(3000, 3000) } },
  { key: 'tier_3', name: 'Tier 3', min_customers: 2, revenue_above: 1000000, rates: { month: r(4000, 4000), year: r(4000, 4000) } },
];

describe('plan preview (R5)', () => {
  it('places the example on the highest tier it meets; revenue_above is exclusive', () => {
    expect(tierFor(DEFAULT, 1, 500000)?.key).toBe('referral');
    expect(tierFor(DEFAULT, 2, 100000)?.key).toBe('tier_1');
    expect(tierFor(DEFAULT, 2, 100001)?.key).toBe('tier_2');
    expect(tierFor(DEFAULT, 5, 1000001)?.key).toBe('tier_3');
  });
  it('pays the referral tier 100% of the first monthly payment and nothing on a rebill', () => {
    expect(preview(DEFAULT, { customers: 0, revenue: 0, interval: 'month', firstPayment: true, amount: 9900 }).commission).toBe(9900);
    expect(preview(DEFAULT, { customers: 0, revenue: 0, interval: 'month', firstPayment: false, amount: 9900 }).commission).toBe(0);
    expect(preview(DEFAULT, { customers: 3, revenue: 2_000_000, interval: 'year', firstPayment: false, amount: 99900 }).commission).toBe(39960);
  });
  it('flags rates outside R1.4, bad keys and tiers that do not climb', () => {
    expect(checkTiers(DEFAULT)).toEqual([]);
    const bad = structuredClone(DEFAULT);
    bad[1]!.rates.month.recurring_bps = 500;
    bad[2]!.key = 'Tier 2';
    bad[3]!.min_customers = 1;
    const fields = checkTiers(bad).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['tiers.1.rates.month.recurring_bps', 'tiers.2.key', 'tiers.3']));
  });
});
