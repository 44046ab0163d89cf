// Proves `explain` says, in plain words, what credited a commission, which tier and why, the rate,
// and when it clears or why it was rejected or reversed.
import { describe, expect, it } from 'vitest';
import { replay } from './engine.js';
import { explain } from './explain.js';
import { affiliate, click, customer, days, history, only, paid, payoutRun, reassign, refunded, t } from './test-helpers.js';

const jan3 = t('2027-01-03T10:00:00Z');
const affiliates = [affiliate('aff_r'), affiliate('aff_a', { recruitedBy: 'aff_r', customerId: 'cus_self' })];
const result = replay(
  history(affiliates, [
    click('clk_1', 'aff_a', jan3 - days(1), { linkId: 'lnk_blog' }),
    paid('pay_1', 'sub_1', 9900, jan3, { clickId: 'clk_1' }),
    click('clk_2', 'aff_a', jan3),
    paid('pay_2', 'sub_2', 9900, jan3, { clickId: 'clk_2', customer: customer('cus_self') }),
    click('clk_3', 'aff_a', jan3),
    paid('pay_3', 'sub_3', 5000, jan3, { clickId: 'clk_3' }),
    refunded('pay_3', jan3 + days(3)),
    paid('pay_1b', 'sub_1', 9900, jan3 + days(30)),
    reassign('sub_3', 'aff_r', jan3 + days(5)),
    payoutRun('2027-03', t('2027-03-15')),
  ]),
);
const context = (now: number) => ({ entries: result.entries, now, currency: 'usd', holdDays: 45, cookieDays: 30 });

describe('explain', () => {
  it('a first payment credited by a click, in reserve', () => {
    const lines = explain(only(result, 'pay_1'), context(jan3 + days(1)));
    expect(lines).toEqual([
      'Credited to aff_a for payment pay_1 of 99.00 USD on 2027-01-03T10:00:00.000Z.',
      'This payment bound subscription sub_1 to aff_a (R3.1) through click clk_1 on tracking link lnk_blog at 2027-01-02T10:00:00.000Z, the last click within its 30-day cookie window (R2.2).',
      'Tier referral at the payment: trailing revenue 0.00 USD from 0 distinct customer(s), counting sales past their hold within the 12 months before, strictly before this payment (R5.1, R5.3).',
      "Rate 100%: tier referral's rate for the first full-price payment of a monthly subscription (R5, R5.5).",
      'Amount 99.00 USD = 100% of 99.00 USD, rounded half-up to the minor unit.',
      'In reserve until 2027-02-17T10:00:00.000Z: the 45-day hold after the payment (R4.2).',
    ]);
  });
  it('the same commission once paid', () => {
    expect(explain(only(result, 'pay_1'), context(t('2027-03-16'))).slice(-2)).toEqual(['Paid 99.00 USD on 2027-03-15T00:00:00.000Z in payout run run_2027-03 (R8).', 'Paid in full.']);
  });
  it('a JV commission', () => {
    const lines = explain(only(result, 'pay_1', 'jv'), context(t('2027-02-20')));
    expect(lines[0]).toBe('JV commission for aff_r on payment pay_1 of 99.00 USD on 2027-01-03T10:00:00.000Z, a full-price sale credited to their recruit aff_a (R6.1; one level only, R6.2).');
    expect(lines.at(-1)).toMatch(/^Due since 2027-02-17T10:00:00.000Z \(9.90 USD outstanding\)/);
  });
  it('a rejected self-referral', () => {
    expect(explain(only(result, 'pay_2'), context(jan3)).at(-1)).toBe("Rejected as a self-referral: the customer id is the affiliate's own. It earns nothing and its recruiter earns nothing (R4.5, R6.4).");
  });
  it('a rebill follows the binding (its own direct rate is 0 on the referral tier, so this is the JV)', () => {
    expect(explain(only(result, 'pay_1b', 'jv'), context(jan3 + days(31)))[1]).toBe(
      "The recruit's subscription sub_1 was credited by click clk_1 on tracking link lnk_blog at 2027-01-02T10:00:00.000Z, the last click within its 30-day cookie window (R2.2).",
    );
  });
  it('a commission re-created by a reassignment', () => {
    const moved = result.commissions.find((c) => c.paymentId === 'pay_3' && c.affiliateId === 'aff_r' && c.kind === 'direct')!;
    expect(explain(moved, context(jan3 + days(6)))[1]).toBe('Re-created for aff_r at the original payment time when subscription sub_3 was moved to them by an admin reassignment from aff_a ("customer asked", R3.2).');
  });
  it('a refunded commission', () => {
    const original = result.commissions.find((c) => c.paymentId === 'pay_3' && c.affiliateId === 'aff_a')!;
    const lines = explain(original, context(jan3 + days(4)));
    expect(lines.slice(-2)).toEqual(['Reversed 50.00 USD on 2027-01-06T10:00:00.000Z because of a refund (50.00 USD refunded in total) (R4.3).', 'Reversed in full: it earns nothing (R4.3).']);
  });
});
