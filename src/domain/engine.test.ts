// Proves `replay` is deterministic, applies events in arrival order, and refuses without change.
import { describe, expect, it } from 'vitest';
import { replay } from './engine.js';
import { affiliate, click, days, history, only, paid, refunded, t } from './test-helpers.js';

const jan3 = t('2027-01-03T10:00:00Z');

describe('replay', () => {
  const events = [click('clk_1', 'aff_a', jan3), paid('pay_1', 'sub_1', 9900, jan3, { clickId: 'clk_1' }), paid('pay_2', 'sub_1', 9900, jan3 + days(30)), refunded('pay_1', jan3 + days(2), 100)];
  it('gives identical output for the same history, ids included', () => {
    const first = replay(history([affiliate('aff_a')], events));
    const second = replay(history([affiliate('aff_a')], events));
    expect(second).toEqual(first);
    expect(first.commissions.map((c) => c.id)).toEqual(['com_pay_1.direct.aff_a']);
    expect(first.entries.map((e) => e.id)).toEqual(['ent_com_pay_1.direct.aff_a.earn', 'ent_com_pay_1.direct.aff_a.reverse.1']);
  });
  it('refuses a second payment with the same id (api.md 409) and changes nothing', () => {
    const result = replay(history([affiliate('aff_a')], [...events, paid('pay_1', 'sub_1', 1, jan3 + days(40))]));
    expect(result.outcomes.at(-1)?.error?.code).toBe('payment_already_recorded');
    expect(result.payments.find((p) => p.id === 'pay_1')?.amountMinor).toBe(9900);
  });
  it('applies back-dated events in arrival order, at their business time', () => {
    const backDated = [paid('pay_late', 'sub_2', 5000, jan3 + days(5), { referralCode: 'code_aff_a' }), paid('pay_early', 'sub_3', 5000, jan3, { referralCode: 'code_aff_a' })];
    const result = replay(history([affiliate('aff_a')], backDated));
    expect(result.sales.get('aff_a')?.map((s) => s.paymentId)).toEqual(['pay_early', 'pay_late']);
    expect(only(result, 'pay_early').earnedAt).toBe(jan3);
  });
  it('reports unknown references as refusals', () => {
    const result = replay(history([affiliate('aff_a')], [{ type: 'dismiss', affiliateId: 'nope', at: 0 }, { type: 'reassign', subscriptionId: 'nope', affiliateId: 'aff_a', at: 0 }]));
    expect(result.outcomes.map((o) => o.error?.code)).toEqual(['affiliate_unknown', 'subscription_unknown']);
  });
});
