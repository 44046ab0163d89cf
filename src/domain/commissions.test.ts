// Proves what a payment earns (R4.1, R5, R5.3–R5.5, R5.7, R6, R1.2, R3.1, R3.3, R4.5), through
// `replay`, i.e. the same decision functions the app layer calls per event.
import { describe, expect, it } from 'vitest';
import { replay } from './engine.js';
import { DEFAULT_PLAN } from './plan.js';
import { tierAt } from './tiers.js';
import { affiliate, canceled, click, commissionsOn, customer, days, dismissed, history, only, paid, started, t } from './test-helpers.js';

const jan3 = t('2027-01-03T10:00:00Z');

describe('R5 referral tier: 100% of the first monthly payment, 20% of the first annual one, once (R5.7)', () => {
  const result = replay(
    history(
      [affiliate('aff_a')],
      [
        click('clk_1', 'aff_a', jan3 - days(2)),
        paid('pay_m1', 'sub_m', 9900, jan3, { clickId: 'clk_1' }),
        paid('pay_m2', 'sub_m', 9900, jan3 + days(30)),
        click('clk_2', 'aff_a', jan3),
        paid('pay_y1', 'sub_y', 99_700, jan3 + days(1), { clickId: 'clk_2', interval: 'year', customer: customer('cus_y') }),
        paid('pay_y2', 'sub_y', 99_700, jan3 + days(366), { interval: 'year', customer: customer('cus_y') }),
      ],
    ),
  );
  it('first monthly payment → 100%', () => expect(only(result, 'pay_m1')).toMatchObject({ amountMinor: 9900, rateBps: 10000, tierKey: 'referral', basis: { rateKind: 'first' } }));
  it('first annual payment → 20%', () => expect(only(result, 'pay_y1')).toMatchObject({ amountMinor: 19_940, rateBps: 2000, tierKey: 'referral' }));
  it('referral-tier rebills create no commission at all', () => {
    expect(commissionsOn(result, 'pay_m2')).toEqual([]);
    expect(commissionsOn(result, 'pay_y2')).toEqual([]);
    expect(result.outcomes[2]?.reasons).toContain('rate_zero');
  });
  it('R4.2: each commission is due 45 days after its payment', () => {
    const commission = only(result, 'pay_m1');
    expect(commission.earnedAt).toBe(jan3);
    expect(commission.dueAt).toBe(t('2027-02-17T10:00:00Z'));
  });
});

describe('R4.1 trial → discounted payment → full-price rebill', () => {
  const result = replay(
    history(
      [affiliate('aff_a')],
      [
        click('clk_1', 'aff_a', jan3 - days(1)),
        started('sub_1', 'cus_sub_1', jan3, { clickId: 'clk_1' }), // a free 30-day trial binds (R3.1)
        paid('pay_disc', 'sub_1', 100, jan3 + days(30), { fullPrice: false }), // a discounted first month
        paid('pay_full', 'sub_1', 9900, jan3 + days(60)), // the first full-price payment: the sale
        paid('pay_full2', 'sub_1', 9900, jan3 + days(90)),
      ],
    ),
  );
  it('the trial and the discounted payment earn nothing and create nothing', () => {
    expect(commissionsOn(result, 'pay_disc')).toEqual([]);
    expect(result.outcomes[2]?.reasons).toEqual(['not_full_price']);
  });
  it('the first full-price payment is the sale, at the first-payment rate', () => {
    expect(only(result, 'pay_full')).toMatchObject({ amountMinor: 9900, rateBps: 10000, basis: { rateKind: 'first', binding: 'existing' } });
    expect(result.subscriptions[0]?.firstFullPaymentId).toBe('pay_full');
  });
  it('only full-price payments count as sales for the tier (R5.1)', () => {
    expect(result.sales.get('aff_a')?.map((sale) => sale.paymentId)).toEqual(['pay_full', 'pay_full2']);
  });
});

describe('R5.3 the sale that crosses a threshold keeps the old rate; R5 tiers 1–2', () => {
  const result = replay(
    history(
      [affiliate('aff_a')],
      [
        click('clk_1', 'aff_a', jan3),
        paid('pay_1', 'sub_1', 9900, jan3, { clickId: 'clk_1' }),
        click('clk_2', 'aff_a', jan3 + days(10)),
        paid('pay_2', 'sub_2', 9900, jan3 + days(10), { clickId: 'clk_2' }), // the second distinct customer
        click('clk_3', 'aff_a', jan3 + days(54)),
        paid('pay_3', 'sub_3', 9900, jan3 + days(54), { clickId: 'clk_3' }), // pay_2's hold has not passed yet
        click('clk_4', 'aff_a', jan3 + days(56)),
        paid('pay_4', 'sub_4', 9900, jan3 + days(56), { clickId: 'clk_4' }), // both holds passed → tier 1
        paid('pay_1b', 'sub_1', 9900, jan3 + days(60)), // a rebill on tier 1 → 20% recurring
      ],
    ),
  );
  it('the second customer’s sale is still priced at the referral tier', () => expect(only(result, 'pay_2')).toMatchObject({ tierKey: 'referral', rateBps: 10000 }));
  it('until its hold passes, the affiliate stays on the referral tier', () => expect(only(result, 'pay_3')).toMatchObject({ tierKey: 'referral', rateBps: 10000 }));
  it('once two distinct customers’ sales counted, a first payment earns tier 1’s 20%', () =>
    expect(only(result, 'pay_4')).toMatchObject({ tierKey: 'tier_1', rateBps: 2000, amountMinor: 1980, basis: { tier: { trailingRevenueMinor: 19_800, distinctCustomers: 2 } } }));
  it('and a rebill of the first subscription earns 20% recurring (R5.5)', () => expect(only(result, 'pay_1b')).toMatchObject({ tierKey: 'tier_1', rateBps: 2000, basis: { rateKind: 'recurring' } }));
});

describe('R5.4 tiers move both ways as the 12-month window rolls; a commission keeps its rate', () => {
  const start = t('2027-01-05T10:00:00Z');
  const events = [click('clk_big', 'aff_a', start), paid('pay_big', 'sub_big', 120_000, start, { clickId: 'clk_big', interval: 'year' })];
  for (const [sub, offsetDays] of [
    ['sub_c2', 1],
    ['sub_c3', 2],
  ] as const) {
    events.push(click(`clk_${sub}`, 'aff_a', start + days(offsetDays)));
    for (let month = 0; month < 14; month += 1) {
      const at = Date.UTC(2027, month, 5 + offsetDays, 10);
      events.push(paid(`pay_${sub}_${month}`, sub, 3000, at, month === 0 ? { clickId: `clk_${sub}` } : {}));
    }
  }
  // Events arrive in time order, as a merchant would send them (replay applies arrival order).
  events.sort((a, b) => a.at - b.at);
  const result = replay(history([affiliate('aff_a')], events));
  const sales = result.sales.get('aff_a') ?? [];
  it('the affiliate reaches tier 2 while the big annual sale is in the window', () => {
    expect(tierAt(sales, t('2027-12-01'), DEFAULT_PLAN, 45).tier.key).toBe('tier_2');
    expect(only(result, 'pay_sub_c2_2')).toMatchObject({ tierKey: 'tier_2', rateBps: 3000, amountMinor: 900 });
  });
  it('when it is 12 months old they fall back to tier 1, and rebills earn 20%', () => {
    expect(tierAt(sales, t('2028-01-06T10:00:00Z'), DEFAULT_PLAN, 45).tier.key).toBe('tier_1');
    expect(only(result, 'pay_sub_c2_12')).toMatchObject({ tierKey: 'tier_1', rateBps: 2000, amountMinor: 600 });
  });
  it('the earlier commission keeps the rate it was created with', () => expect(only(result, 'pay_sub_c2_2').rateBps).toBe(3000));
});

describe('R6 JV: the recruiter earns jv_rate of each full-price payment credited to the recruit', () => {
  const affiliates = [affiliate('aff_r'), affiliate('aff_b', { recruitedBy: 'aff_r' }), affiliate('aff_c', { recruitedBy: 'aff_b' }), affiliate('aff_p', { recruitedBy: 'aff_x' }), affiliate('aff_x', { status: 'pending' })];
  const result = replay(
    history(affiliates, [
      click('clk_b', 'aff_b', jan3),
      paid('pay_b1', 'sub_b', 9900, jan3, { clickId: 'clk_b' }),
      paid('pay_b2', 'sub_b', 9900, jan3 + days(30)), // the recruit's rate is 0 on this rebill
      click('clk_c', 'aff_c', jan3),
      paid('pay_c1', 'sub_c', 5000, jan3, { clickId: 'clk_c' }),
      click('clk_p', 'aff_p', jan3),
      paid('pay_p1', 'sub_p', 5000, jan3, { clickId: 'clk_p' }),
    ]),
  );
  it('R6.1: 10% of the payment, linked to the recruit’s direct commission', () => {
    const jv = only(result, 'pay_b1', 'jv');
    expect(jv).toMatchObject({ affiliateId: 'aff_r', amountMinor: 990, rateBps: 1000, tierKey: null, sourceCommissionId: only(result, 'pay_b1').id, basis: { recruitAffiliateId: 'aff_b', rateKind: 'jv' } });
    expect(jv.dueAt).toBe(only(result, 'pay_b1').dueAt); // the same hold
  });
  it('R6.1: rebills count even where the recruit’s own rate is 0', () => {
    expect(commissionsOn(result, 'pay_b2', 'direct')).toEqual([]);
    expect(only(result, 'pay_b2', 'jv')).toMatchObject({ affiliateId: 'aff_r', amountMinor: 990, sourceCommissionId: null });
  });
  it('R6.2: one level only: the recruiter’s recruiter earns nothing', () => {
    expect(commissionsOn(result, 'pay_c1', 'jv').map((c) => c.affiliateId)).toEqual(['aff_b']);
  });
  it('R6.1: a recruiter not approved in the program earns nothing', () => {
    expect(commissionsOn(result, 'pay_p1', 'jv')).toEqual([]);
    expect(result.outcomes[6]?.reasons).toContain('recruiter_not_approved');
  });
  it('a program with JV off pays no JV', () => {
    const off = replay(history(affiliates, [click('clk_b', 'aff_b', jan3), paid('pay_b1', 'sub_b', 9900, jan3, { clickId: 'clk_b' })], { ...history([], []).program, jvRateBps: 0 }));
    expect(commissionsOn(off, 'pay_b1', 'jv')).toEqual([]);
  });
});

describe('R4.5 self-referral: a flagged, rejected commission of 0, and no JV (R6.4)', () => {
  const affiliates = [affiliate('aff_r'), affiliate('aff_a', { email: 'ann@example.com', customerId: 'cus_ann', recruitedBy: 'aff_r' })];
  const viaLink = (paymentId: string, extra: Parameters<typeof paid>[4]) => [click(`clk_${paymentId}`, 'aff_a', jan3), paid(paymentId, `sub_${paymentId}`, 9900, jan3, { clickId: `clk_${paymentId}`, ...extra })];
  const result = replay(
    history(affiliates, [
      ...viaLink('pay_id', { customer: customer('cus_ann', 'other@example.com') }),
      ...viaLink('pay_mail', { customer: customer('cus_2', '  ANN@Example.COM ') }),
      ...viaLink('pay_alias', { customer: customer('cus_3', 'ann+kartra@example.com') }),
      paid('pay_own', 'sub_own', 9900, jan3 + days(1), { customer: customer('cus_ann'), fingerprint: 'card_ann' }), // organic: her own account
      ...viaLink('pay_card', { customer: customer('cus_4', 'friend@example.com'), fingerprint: 'card_ann', at: jan3 + days(2) }),
    ]),
  );
  it.each([
    ['pay_id', ['customer_id']],
    ['pay_mail', ['email']],
    ['pay_card', ['fingerprint']],
  ])('%s is rejected as self_referral (%j)', (paymentId, signals) => {
    expect(commissionsOn(result, paymentId)).toEqual([expect.objectContaining({ status: 'rejected', reason: 'self_referral', amountMinor: 0, basis: expect.objectContaining({ selfReferralSignals: signals }) })]);
    expect(result.entries.filter((entry) => entry.commissionId === only(result, paymentId).id)).toEqual([]);
    expect(commissionsOn(result, paymentId, 'jv')).toEqual([]);
  });
  it('a +alias e-mail is another address: commission as usual, with JV', () => {
    expect(only(result, 'pay_alias')).toMatchObject({ status: 'active', amountMinor: 9900 });
    expect(only(result, 'pay_alias', 'jv').amountMinor).toBe(990);
  });
  it('a self-referral is not a sale for the tier', () => {
    expect(result.sales.get('aff_a')?.map((sale) => sale.paymentId)).toEqual(['pay_alias']);
  });
});

describe('R1.2 a dismissed affiliate earns nothing new; R3.1 cancelled subscriptions; R3.3 agency accounts', () => {
  const affiliates = [affiliate('aff_r'), affiliate('aff_a', { recruitedBy: 'aff_r' })];
  const result = replay(
    history(affiliates, [
      click('clk_1', 'aff_a', jan3),
      paid('pay_1', 'sub_1', 9900, jan3, { clickId: 'clk_1' }),
      click('clk_2', 'aff_a', jan3),
      paid('pay_2', 'sub_2', 9900, jan3, { clickId: 'clk_2' }),
      canceled('sub_2', jan3 + days(20)),
      paid('pay_2b', 'sub_2', 9900, jan3 + days(30)),
      click('clk_3', 'aff_a', jan3),
      paid('pay_3', 'sub_3', 9900, jan3, { clickId: 'clk_3', accountOwnedByAffiliateId: 'aff_a' }),
      click('clk_4', 'aff_a', jan3),
      paid('pay_4', 'sub_4', 9900, jan3, { clickId: 'clk_4', accountOwnedByAffiliateId: 'aff_other' }),
      dismissed('aff_a', jan3 + days(40)),
      paid('pay_1b', 'sub_1', 9900, jan3 + days(60)),
      click('clk_5', 'aff_a', jan3 + days(61)),
      paid('pay_5', 'sub_5', 9900, jan3 + days(61), { clickId: 'clk_5' }),
      { type: 'payout.run', month: '2027-03', at: t('2027-03-15') },
    ]),
  );
  it('R3.1: a payment on a cancelled subscription earns nothing', () => {
    expect(commissionsOn(result, 'pay_2b')).toEqual([]);
    expect(result.outcomes[5]?.reasons).toEqual(['subscription_canceled']);
  });
  it('R3.3: an account owned by the credited affiliate (agency) earns nothing and is no sale', () => {
    expect(commissionsOn(result, 'pay_3')).toEqual([]);
    expect(result.outcomes[7]?.reasons).toEqual(['agency_owned']);
    expect(result.sales.get('aff_a')?.some((sale) => sale.paymentId === 'pay_3')).toBe(false);
  });
  it('R3.3: a client who owns their account earns the agency commission as usual', () => expect(only(result, 'pay_4').amountMinor).toBe(9900));
  it('R1.2: after dismissal, rebills of subscriptions bound to them earn nothing, and nothing flows to the recruiter', () => {
    expect(commissionsOn(result, 'pay_1b')).toEqual([]);
    expect(result.outcomes[11]?.reasons).toEqual(['affiliate_not_approved']);
  });
  it('R1.2: their links credit nothing either', () => expect(commissionsOn(result, 'pay_5')).toEqual([]));
  it('R1.2: what was already due is still paid', () => {
    const run = result.runs[0]?.run;
    expect(run?.items.find((item) => item.affiliateId === 'aff_a')?.amountMinor).toBe(9900 * 3);
  });
});

describe('R2.2/R2.4 in a replay: last click wins; tracking links credit their channel', () => {
  const result = replay(
    history(
      [affiliate('aff_a'), affiliate('aff_b')],
      [
        click('clk_a', 'aff_a', jan3 - days(5)),
        click('clk_b', 'aff_b', jan3 - days(1), { linkId: 'lnk_blog' }),
        paid('pay_1', 'sub_1', 9900, jan3, { clickId: 'clk_b' }), // the browser keeps only the latest click
        paid('pay_2', 'sub_2', 9900, jan3 + days(40), { clickId: 'clk_a' }), // expired
        paid('pay_3', 'sub_3', 9900, jan3 + days(40), { clickId: 'clk_a', referralCode: 'code_aff_a' }),
      ],
    ),
  );
  it('credits the last click, with its tracking link', () => expect(only(result, 'pay_1')).toMatchObject({ affiliateId: 'aff_b', basis: { source: { type: 'click', clickId: 'clk_b', linkId: 'lnk_blog' }, binding: 'new' } }));
  it('an expired click credits nothing', () => expect(commissionsOn(result, 'pay_2')).toEqual([]));
  it('an expired click with a referral code credits the code’s affiliate', () => expect(only(result, 'pay_3')).toMatchObject({ affiliateId: 'aff_a', basis: { source: { type: 'referral_code', code: 'code_aff_a' } } }));
});

describe('commissionsForPayment called directly, as the app layer does per event', () => {
  it('takes plain facts and rows loaded from a database and says what to store', async () => {
    const { commissionsForPayment } = await import('./commissions.js');
    const { bindingFrom, decideAttribution } = await import('./attribution.js');
    const approved = { status: 'approved' as const, approvedAt: 0, dismissedAt: null };
    const ann = { id: 'aff_ann', email: 'ann@x.test', customerId: null, recruitedBy: 'aff_rec', enrolment: approved };
    const rec = { id: 'aff_rec', email: 'rec@x.test', customerId: null, recruitedBy: null, enrolment: approved };
    const click = { id: 'clk_1', affiliateId: 'aff_ann', programId: 'kartra', linkId: null, clickedAt: jan3 - days(1), isBot: false };
    const attribution = decideAttribution({ programId: 'kartra', cookieDays: 30, occurredAt: jan3, subscription: null, clickId: 'clk_1', click, clickAffiliate: ann, referralCode: null, referral: null, referralAffiliate: null });
    const subscription = { id: 'sub_1', customerId: 'cus_1', interval: 'month' as const, firstEventAt: jan3, canceledAt: null, binding: bindingFrom(attribution), firstFullPaymentId: null };
    const priorSales = [
      { paymentId: 'p_a', customerId: 'c_a', amountMinor: 60_000, paidAt: jan3 - days(100), refunds: [] },
      { paymentId: 'p_b', customerId: 'c_b', amountMinor: 60_000, paidAt: jan3 - days(90), refunds: [] },
    ];
    const decision = commissionsForPayment({
      settings: history([], []).program,
      payment: { id: 'pay_1', subscriptionId: 'sub_1', customerId: 'cus_1', customerEmail: 'c@x.test', amountMinor: 9900, paidAt: jan3, fullPrice: true, fingerprint: null, accountOwnedByAffiliateId: null },
      subscription,
      attribution,
      affiliate: ann,
      recruiter: rec,
      affiliateSales: priorSales,
      affiliateFingerprints: new Set(),
    });
    expect(decision.standing?.tier.key).toBe('tier_2');
    expect(decision.commissions.map((c) => [c.kind, c.affiliateId, c.amountMinor, c.rateBps])).toEqual([
      ['direct', 'aff_ann', 2970, 3000],
      ['jv', 'aff_rec', 990, 1000],
    ]);
    expect(decision.entries.map((e) => [e.type, e.amountMinor])).toEqual([
      ['earn', 2970],
      ['earn', 990],
    ]);
    expect(decision.sale).toEqual({ paymentId: 'pay_1', customerId: 'cus_1', amountMinor: 9900, paidAt: jan3, refunds: [] });
    expect(decision.isFirstFullPayment).toBe(true);
  });
});
