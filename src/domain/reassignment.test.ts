// Proves R3.2: within 30 days of the subscription's first event (trial included) a reassignment
// reverses the old side (direct + JV) and creates the new side at the new affiliate's tier at each
// original payment time; after 30 days, or to an unapproved affiliate, it is refused and changes nothing.
import { describe, expect, it } from 'vitest';
import { replay } from './engine.js';
import { balances } from './ledger.js';
import { affiliate, click, commissionsOn, days, entriesFor, history, ofAffiliate, paid, reassign, refunded, started, t } from './test-helpers.js';

const day0 = t('2027-01-03T10:00:00Z');
const affiliates = [
  affiliate('aff_ra'),
  affiliate('aff_old', { recruitedBy: 'aff_ra' }),
  affiliate('aff_rb'),
  affiliate('aff_new', { recruitedBy: 'aff_rb' }),
  affiliate('aff_pending', { status: 'pending' }),
];
// aff_new is on tier 1 (two customers whose holds passed) before the reassigned subscription starts.
const newIsTier1 = [
  click('clk_n1', 'aff_new', day0 - days(100)),
  paid('pay_n1', 'sub_n1', 9900, day0 - days(100), { clickId: 'clk_n1' }),
  click('clk_n2', 'aff_new', day0 - days(99)),
  paid('pay_n2', 'sub_n2', 9900, day0 - days(99), { clickId: 'clk_n2' }),
];
const base = [...newIsTier1, click('clk_1', 'aff_old', day0), started('sub_1', 'cus_sub_1', day0, { clickId: 'clk_1' }), paid('pay_1', 'sub_1', 9900, day0 + days(14))];

describe('R3.2 reassignment inside the 30-day window', () => {
  const result = replay(history(affiliates, [...base, reassign('sub_1', 'aff_new', day0 + days(29)), paid('pay_2', 'sub_1', 9900, day0 + days(44))]));
  const onPay1 = commissionsOn(result, 'pay_1');
  it('reverses the old affiliate’s commission and its recruiter’s JV in full, with new entries', () => {
    for (const id of ['aff_old', 'aff_ra']) {
      const old = onPay1.find((commission) => commission.affiliateId === id);
      expect(old).toBeDefined();
      expect(entriesFor(result, old!.id).map((entry) => [entry.type, entry.amountMinor, entry.reason])).toEqual([
        ['earn', old!.amountMinor, 'payment'],
        ['reverse', -old!.amountMinor, 'reassignment'],
      ]);
      expect(balances(result.entries, ofAffiliate(result, id), day0 + days(30))).toEqual({ reserve: 0, due: 0, paid: 0 });
    }
  });
  it('creates the new affiliate’s at their tier at the original payment time, with JV for their recruiter', () => {
    const created = onPay1.find((commission) => commission.affiliateId === 'aff_new');
    expect(created).toMatchObject({ kind: 'direct', tierKey: 'tier_1', rateBps: 2000, amountMinor: 1980, earnedAt: day0 + days(14), dueAt: day0 + days(59), basis: { binding: 'reassignment', source: { type: 'reassignment', fromAffiliateId: 'aff_old' } } });
    expect(onPay1.find((commission) => commission.affiliateId === 'aff_rb')).toMatchObject({ kind: 'jv', amountMinor: 990, sourceCommissionId: created!.id });
    expect(onPay1.map((c) => c.id)).toHaveLength(new Set(onPay1.map((c) => c.id)).size);
  });
  it('later rebills follow the new binding (R3.1)', () => {
    expect(commissionsOn(result, 'pay_2').map((c) => [c.kind, c.affiliateId])).toEqual([
      ['direct', 'aff_new'],
      ['jv', 'aff_rb'],
    ]);
    expect(result.subscriptions.find((s) => s.id === 'sub_1')?.binding?.affiliateId).toBe('aff_new');
  });
  it('moves the sale between the affiliates’ books (R5.1)', () => {
    expect(result.sales.get('aff_old')).toEqual([]);
    expect(result.sales.get('aff_new')?.map((s) => s.paymentId)).toEqual(['pay_n1', 'pay_n2', 'pay_1', 'pay_2']);
  });
});

describe('R3.2 refusals change nothing', () => {
  it.each([
    ['exactly 30 days after the first event (the trial start)', day0 + days(30), 'aff_new', 'reassignment_window_closed'],
    ['after 31 days, though the first payment is only 17 days old', day0 + days(31), 'aff_new', 'reassignment_window_closed'],
    ['to an affiliate not approved in the program', day0 + days(5), 'aff_pending', 'affiliate_not_approved'],
    ['to the affiliate already credited', day0 + days(5), 'aff_old', 'reassignment_same_affiliate'],
  ])('%s', (_name, at, to, code) => {
    const before = replay(history(affiliates, base));
    const after = replay(history(affiliates, [...base, reassign('sub_1', to, at)]));
    expect(after.outcomes.at(-1)?.error?.code).toBe(code);
    expect(after.commissions).toEqual(before.commissions);
    expect(after.entries).toEqual(before.entries);
    expect(after.subscriptions).toEqual(before.subscriptions);
  });
});

describe('R3.2 with refunds and round trips', () => {
  it('a refund recorded before the reassignment reverses the new commission too', () => {
    const result = replay(history(affiliates, [...base, refunded('pay_1', day0 + days(20), 4950), reassign('sub_1', 'aff_new', day0 + days(25))]));
    const created = commissionsOn(result, 'pay_1').find((c) => c.affiliateId === 'aff_new')!;
    expect(entriesFor(result, created.id).map((e) => [e.type, e.amountMinor, e.at])).toEqual([
      ['earn', 1980, day0 + days(14)],
      ['reverse', -990, day0 + days(20)],
    ]);
    const old = commissionsOn(result, 'pay_1').find((c) => c.affiliateId === 'aff_old')!;
    expect(entriesFor(result, old.id).filter((e) => e.type === 'reverse').map((e) => [e.amountMinor, e.reason])).toEqual([
      [-4950, 'refund'],
      [-4950, 'reassignment'],
    ]);
  });
  it('old → new → old keeps every commission id unique and every side balanced', () => {
    const result = replay(history(affiliates, [...base, reassign('sub_1', 'aff_new', day0 + days(20)), reassign('sub_1', 'aff_old', day0 + days(21))]));
    expect(result.outcomes.every((o) => o.error === null)).toBe(true);
    const live = result.commissions.filter((c) => c.paymentId === 'pay_1' && entriesFor(result, c.id).reduce((sum, e) => sum + e.amountMinor, 0) > 0);
    expect(live.map((c) => [c.kind, c.affiliateId])).toEqual([
      ['direct', 'aff_old'],
      ['jv', 'aff_ra'],
    ]);
  });
});
