// Proves R2.2 (last click inside the cookie window), api.md's click-then-code order, R3.1
// (lifetime binding, cancelled subscriptions) and R4.5 self-referral detection.
import { describe, expect, it } from 'vitest';
import { clickRejection, decideAttribution, detectSelfReferral, isPaymentByAffiliate, type AttributionInput } from './attribution.js';
import type { AffiliateFact, ClickFact, SubscriptionFact } from './facts.js';
import { days, t } from './test-helpers.js';

const approved = (id: string, extra: Partial<AffiliateFact> = {}): AffiliateFact => ({
  id,
  email: `${id}@aff.test`,
  customerId: null,
  recruitedBy: null,
  enrolment: { status: 'approved', approvedAt: 0, dismissedAt: null },
  ...extra,
});
const ann = approved('aff_ann');
const bob = approved('aff_bob');
const clickedAt = t('2027-01-01T12:00:00Z');
const clickBy = (affiliateId: string, extra: Partial<ClickFact> = {}): ClickFact => ({ id: 'clk_1', affiliateId, programId: 'kartra', linkId: null, clickedAt, isBot: false, ...extra });

function input(extra: Partial<AttributionInput>): AttributionInput {
  return {
    programId: 'kartra',
    cookieDays: 30,
    occurredAt: clickedAt,
    subscription: null,
    clickId: null,
    click: null,
    clickAffiliate: null,
    referralCode: null,
    referral: null,
    referralAffiliate: null,
    ...extra,
  };
}

describe('R2.2 the cookie window: clicked_at ≤ occurred_at < clicked_at + cookie_days × 24 h', () => {
  it.each([
    ['at the click instant', 0, null],
    ['a minute later', 60_000, null],
    ['29 days later', days(29), null],
    ['1 ms before the window ends', days(30) - 1, null],
    ['exactly when the window ends', days(30), 'click_expired'],
    ['31 days later', days(31), 'click_expired'],
    ['before the click (a click after the conversion)', -1, 'click_after_event'],
  ])('a conversion %s → %s', (_name, offset, expected) => {
    expect(clickRejection(clickBy('aff_ann'), { programId: 'kartra', cookieDays: 30, occurredAt: clickedAt + offset, affiliate: ann })).toBe(expected);
  });

  it.each([
    ['unknown click id', null, ann, 'click_unknown'],
    ['another program’s click', clickBy('aff_ann', { programId: 'webinarjam' }), ann, 'click_other_program'],
    ['a bot click', clickBy('aff_ann', { isBot: true }), ann, 'click_bot'],
    ['a dismissed affiliate’s click (R1.2)', clickBy('aff_ann'), { ...ann, enrolment: { status: 'dismissed' as const, approvedAt: 0, dismissedAt: 1 } }, 'affiliate_not_approved'],
    ['a pending affiliate’s click', clickBy('aff_ann'), { ...ann, enrolment: { status: 'pending' as const, approvedAt: null, dismissedAt: null } }, 'affiliate_not_approved'],
  ])('%s does not qualify', (_name, click, affiliate, expected) => {
    expect(clickRejection(click, { programId: 'kartra', cookieDays: 30, occurredAt: clickedAt + 1000, affiliate })).toBe(expected);
  });

  it('uses the program’s cookie_days setting', () => {
    expect(clickRejection(clickBy('aff_ann'), { programId: 'kartra', cookieDays: 7, occurredAt: clickedAt + days(8), affiliate: ann })).toBe('click_expired');
  });
});

describe('decideAttribution', () => {
  const referral = { code: 'code_bob', affiliateId: 'aff_bob', programId: 'kartra', linkId: null };

  it('R2.2: a qualifying click binds the new subscription to its affiliate', () => {
    const result = decideAttribution(input({ clickId: 'clk_1', click: clickBy('aff_ann'), clickAffiliate: ann, occurredAt: clickedAt + days(3) }));
    expect(result).toEqual({ credited: true, affiliateId: 'aff_ann', source: { type: 'click', clickId: 'clk_1', clickedAt, linkId: null }, binding: 'new', boundAt: clickedAt + days(3), ignoredClickId: null });
  });

  it('api.md: the click id wins over a referral code when it qualifies', () => {
    const result = decideAttribution(input({ clickId: 'clk_1', click: clickBy('aff_ann'), clickAffiliate: ann, referralCode: 'code_bob', referral, referralAffiliate: bob }));
    expect(result.credited && result.affiliateId).toBe('aff_ann');
  });

  it.each([
    ['unknown', null],
    ['expired', clickBy('aff_ann', { clickedAt: clickedAt - days(40) })],
    ['another program’s', clickBy('aff_ann', { programId: 'everwebinar' })],
    ['a bot’s', clickBy('aff_ann', { isBot: true })],
  ])('api.md: an %s click falls back to the referral code, which has no window', (_name, click) => {
    const result = decideAttribution(input({ clickId: 'clk_1', click, clickAffiliate: ann, referralCode: 'code_bob', referral, referralAffiliate: bob, occurredAt: clickedAt + days(200) }));
    expect(result).toMatchObject({ credited: true, affiliateId: 'aff_bob', source: { type: 'referral_code', code: 'code_bob' }, binding: 'new' });
  });

  it('a dismissed affiliate’s click falls back to the code too (R1.2)', () => {
    const dismissedAnn = { ...ann, enrolment: { status: 'dismissed' as const, approvedAt: 0, dismissedAt: 1 } };
    const result = decideAttribution(input({ clickId: 'clk_1', click: clickBy('aff_ann'), clickAffiliate: dismissedAnn, referralCode: 'code_bob', referral, referralAffiliate: bob }));
    expect(result.credited && result.affiliateId).toBe('aff_bob');
  });

  it('nothing qualifies → not attributed, with both reasons', () => {
    const result = decideAttribution(input({ clickId: 'clk_x', referralCode: 'nope' }));
    expect(result).toEqual({ credited: false, reason: 'not_attributed', clickRejection: 'click_unknown', referralRejection: 'code_unknown' });
    expect(decideAttribution(input({ referralCode: 'code_bob', referral: { ...referral, programId: 'other' }, referralAffiliate: bob }))).toMatchObject({ credited: false, referralRejection: 'code_other_program' });
    expect(decideAttribution(input({}))).toMatchObject({ credited: false, clickRejection: null, referralRejection: null });
  });

  const boundToAnn: SubscriptionFact = {
    id: 'sub_1',
    customerId: 'cus_1',
    interval: 'month',
    firstEventAt: clickedAt,
    canceledAt: null,
    binding: { affiliateId: 'aff_ann', boundAt: clickedAt, source: { type: 'click', clickId: 'clk_0', clickedAt, linkId: null } },
    firstFullPaymentId: 'pay_0',
  };

  it('R3.1: a bound subscription stays with its affiliate whatever is clicked later', () => {
    const later = clickBy('aff_bob', { id: 'clk_9', clickedAt: clickedAt + days(60) });
    const result = decideAttribution(input({ subscription: boundToAnn, clickId: 'clk_9', click: later, clickAffiliate: bob, occurredAt: clickedAt + days(61) }));
    expect(result).toMatchObject({ credited: true, affiliateId: 'aff_ann', binding: 'existing', boundAt: clickedAt, ignoredClickId: 'clk_9' });
  });

  it('R3.1: a payment on a cancelled subscription is credited to nobody', () => {
    const result = decideAttribution(input({ subscription: { ...boundToAnn, canceledAt: clickedAt + days(10) }, occurredAt: clickedAt + days(10) }));
    expect(result).toMatchObject({ credited: false, reason: 'subscription_canceled' });
    const before = decideAttribution(input({ subscription: { ...boundToAnn, canceledAt: clickedAt + days(10) }, occurredAt: clickedAt + days(10) - 1 }));
    expect(before.credited).toBe(true);
  });

  it('R3.1 (reading): an unbound subscription is bound by the first later event that carries a qualifying click', () => {
    const unbound = { ...boundToAnn, binding: null };
    const result = decideAttribution(input({ subscription: unbound, clickId: 'clk_1', click: clickBy('aff_bob'), clickAffiliate: bob, occurredAt: clickedAt + days(1) }));
    expect(result).toMatchObject({ credited: true, affiliateId: 'aff_bob', binding: 'new' });
  });
});

describe('R4.5 self-referral detection', () => {
  const affiliate = approved('aff_ann', { email: 'ann@example.com', customerId: 'cus_ann' });
  const none = new Set<string>();
  it.each([
    ['the affiliate’s own customer id', { customerId: 'cus_ann', customerEmail: 'other@x.com', fingerprint: null }, none, ['customer_id']],
    ['the same e-mail, other case and spaces', { customerId: 'cus_2', customerEmail: '  ANN@Example.com ', fingerprint: null }, none, ['email']],
    ['a fingerprint seen on the affiliate’s own payment', { customerId: 'cus_2', customerEmail: 'x@y.com', fingerprint: 'card_1' }, new Set(['card_1']), ['fingerprint']],
    ['all three', { customerId: 'cus_ann', customerEmail: 'ann@example.com', fingerprint: 'card_1' }, new Set(['card_1']), ['customer_id', 'email', 'fingerprint']],
    ['a +alias e-mail (a different address)', { customerId: 'cus_2', customerEmail: 'ann+promo@example.com', fingerprint: null }, none, null],
    ['another customer', { customerId: 'cus_2', customerEmail: 'bea@example.com', fingerprint: 'card_2' }, new Set(['card_1']), null],
    ['no e-mail at all', { customerId: 'cus_2', customerEmail: null, fingerprint: null }, none, null],
  ])('%s → %j', (_name, payment, fingerprints, expected) => {
    expect(detectSelfReferral(affiliate, payment, fingerprints)).toEqual(expected);
  });
  it('an affiliate without a customer id is never matched by a null id', () => {
    expect(isPaymentByAffiliate({ ...affiliate, customerId: null }, { customerId: 'cus_ann', customerEmail: null })).toBe(false);
  });
});
