// Proves each Stripe billing event becomes the Affable event api.md describes, in the old and the
// basil+ payload shapes, and that refunds and disputes name the same payment as the invoice did.
import { describe, expect, it } from 'vitest';

import {
  basilInvoice,
  basilPayments,
  charge,
  checkoutSession,
  dispute,
  event,
  legacyInvoice,
  PAID_AT,
  prices,
  refund,
  subscription,
} from './fixtures.js';
import { expansionNeeded, mapStripeEvent, StripeMappingError, type AffableEvent } from './map.js';

const program = 'kartra';
const map = (e: Parameters<typeof mapStripeEvent>[0]): AffableEvent[] => mapStripeEvent(e, { program });
const paymentId = (e: AffableEvent): string | undefined => ('payment' in e ? e.payment.id : undefined);
const one = (e: Parameters<typeof mapStripeEvent>[0]): AffableEvent => {
  const events = map(e);
  expect(events).toHaveLength(1);
  return events[0]!;
};

describe('invoice.paid → payment.succeeded', () => {
  it('maps the pre-basil shape: payment_intent id, subscription, interval, click and code from subscription_details', () => {
    expect(one(event('invoice.paid', legacyInvoice(), { id: 'evt_old', api_version: '2024-06-20' }))).toEqual({
      id: 'evt_old',
      type: 'payment.succeeded',
      program: 'kartra',
      occurred_at: '2027-01-03T10:00:00Z',
      customer: { id: 'cus_legacy', email: 'buyer@example.com' },
      subscription: { id: 'sub_legacy', interval: 'month' },
      payment: { id: 'pi_legacy', amount: 9900, currency: 'usd', full_price: true },
      click_id: 'clk_legacy',
      referral_code: 'janedoe',
    });
  });

  it('maps the basil+ shape with payments expanded: parent.subscription_details, the paid InvoicePayment', () => {
    expect(one(event('invoice.paid', basilInvoice({ payments: basilPayments() }), { id: 'evt_new' }))).toEqual({
      id: 'evt_new',
      type: 'payment.succeeded',
      program: 'kartra',
      occurred_at: '2027-01-03T10:00:00Z',
      customer: { id: 'cus_basil', email: 'buyer@example.com' },
      subscription: { id: 'sub_basil', interval: 'month' },
      payment: { id: 'pi_basil', amount: 9900, currency: 'usd', full_price: true },
      click_id: 'clk_basil',
    });
  });

  it('names a charge-only InvoicePayment by its charge id, and takes the fingerprint from an expanded charge', () => {
    const payments = basilPayments({ type: 'charge', charge: charge({ id: 'ch_only', payment_intent: null }) });
    const mapped = one(event('invoice.paid', basilInvoice({ payments })));
    expect(mapped).toMatchObject({ payment: { id: 'ch_only', fingerprint: 'fp_Xy12' } });
  });

  it('takes the fingerprint from the pre-basil invoice charge when it is expanded, and omits it otherwise', () => {
    expect(one(event('invoice.paid', legacyInvoice({ charge: charge({ id: 'ch_legacy', payment_intent: 'pi_legacy' }) }))))
      .toMatchObject({ payment: { id: 'pi_legacy', fingerprint: 'fp_Xy12' } });
    const plain = one(event('invoice.paid', legacyInvoice()));
    expect(plain.type === 'payment.succeeded' && 'fingerprint' in plain.payment).toBe(false);
  });

  it('falls back to the invoice id when a basil+ payload lacks payments, and asks the route to expand them', () => {
    const thin = event('invoice.paid', basilInvoice());
    expect(one(thin)).toMatchObject({ payment: { id: 'in_basil', amount: 9900 } });
    expect(expansionNeeded(thin)).toEqual({ object: 'invoice', id: 'in_basil', expand: ['payments'] });
    expect(expansionNeeded(event('invoice.paid', basilInvoice({ payments: basilPayments() })))).toBeNull();
    expect(expansionNeeded(event('invoice.paid', legacyInvoice()))).toBeNull();
  });

  it('R4.1: a trial invoice (amount_paid 0) is not full price', () => {
    const trial = basilInvoice({
      amount_due: 0,
      amount_paid: 0,
      billing_reason: 'subscription_create',
      subtotal: 0,
      total: 0,
      lines: {
        object: 'list',
        has_more: false,
        data: [
          {
            id: 'il_trial',
            amount: 0,
            description: 'Trial period for Kartra Starter',
            metadata: {},
            parent: { type: 'subscription_item_details', subscription_item_details: { proration: false, subscription: 'sub_basil', subscription_item: 'si_basil' } },
            period: { start: PAID_AT, end: PAID_AT + 14 * 86_400 },
            pricing: { type: 'price_details', price_details: { price: 'price_month', product: 'prod_1' } },
          },
        ],
      },
    });
    const mapped = one(event('invoice.paid', trial));
    expect(mapped).toMatchObject({ payment: { id: 'in_basil', amount: 0, full_price: false }, subscription: { id: 'sub_basil', interval: 'month' } });
    // No money moved: nothing to expand.
    expect(expansionNeeded(event('invoice.paid', trial))).toBeNull();
  });

  it('R4.1: a discounted first invoice is not full price and pays what was received', () => {
    const discounted = legacyInvoice({
      amount_due: 4950,
      amount_paid: 4950,
      discount: { id: 'di_1', coupon: { id: 'HALF', percent_off: 50 } },
      total: 4950,
      total_discount_amounts: [{ amount: 4950, discount: 'di_1' }],
    });
    expect(one(event('invoice.paid', discounted))).toMatchObject({ payment: { amount: 4950, full_price: false } });
  });

  it('R4.1: a total below the subtotal (a credit, no listed discount) is not full price; tax above it is', () => {
    expect(one(event('invoice.paid', basilInvoice({ total: 8000, amount_paid: 8000, payments: basilPayments() }))))
      .toMatchObject({ payment: { amount: 8000, full_price: false } });
    expect(one(event('invoice.paid', basilInvoice({ total: 10890, amount_paid: 10890, payments: basilPayments() }))))
      .toMatchObject({ payment: { amount: 10890, full_price: true } });
  });

  it('reads the annual interval from an expanded price, and from a year-long line period when the price is an id', () => {
    const expandedLine = {
      ...(basilInvoice().lines as { data: Record<string, unknown>[] }).data[0],
      pricing: { type: 'price_details', price_details: { price: prices.yearlyPrice, product: 'prod_1' } },
    };
    const expanded = basilInvoice({ lines: { object: 'list', has_more: false, data: [expandedLine] } });
    expect(one(event('invoice.paid', expanded))).toMatchObject({ subscription: { interval: 'year' } });

    const yearLine = { ...expandedLine, pricing: { type: 'price_details', price_details: { price: 'price_year', product: 'prod_1' } }, period: { start: PAID_AT, end: PAID_AT + 365 * 86_400 } };
    const byPeriod = basilInvoice({ lines: { object: 'list', has_more: false, data: [yearLine] } });
    expect(one(event('invoice.paid', byPeriod))).toMatchObject({ subscription: { interval: 'year' } });

    const legacyYear = legacyInvoice({
      lines: { object: 'list', has_more: false, data: [{ type: 'subscription', subscription: 'sub_legacy', price: prices.yearlyPrice, metadata: {} }] },
    });
    expect(one(event('invoice.paid', legacyYear))).toMatchObject({ subscription: { interval: 'year' } });
  });

  it('carries no click_id or referral_code when no metadata names them, and ignores malformed ids', () => {
    const bare = one(event('invoice.paid', basilInvoice({ parent: { type: 'subscription_details', subscription_details: { metadata: {}, subscription: 'sub_basil' } } })));
    expect(bare).not.toHaveProperty('click_id');
    expect(bare).not.toHaveProperty('referral_code');

    const legacyBare = legacyInvoice({ subscription_details: { metadata: null }, lines: { object: 'list', has_more: false, data: [{ type: 'subscription', subscription: 'sub_legacy', price: prices.monthlyPrice, metadata: {} }] } });
    expect(one(event('invoice.paid', legacyBare))).not.toHaveProperty('click_id');

    const hostile = basilInvoice({
      parent: { type: 'subscription_details', subscription_details: { metadata: { aff_click: 'clk"><script>', aff_ref: 'x'.repeat(65) }, subscription: 'sub_basil' } },
    });
    const mapped = one(event('invoice.paid', hostile));
    expect(mapped).not.toHaveProperty('click_id');
    expect(mapped).not.toHaveProperty('referral_code');
  });

  it('falls back to the subscription line metadata and to the invoice metadata for the click', () => {
    const fromLine = legacyInvoice({ subscription_details: { metadata: {} } });
    expect(one(event('invoice.paid', fromLine))).toMatchObject({ click_id: 'clk_line' });
    const fromInvoice = basilInvoice({
      metadata: { aff_click: 'clk_invoice' },
      parent: { type: 'subscription_details', subscription_details: { metadata: {}, subscription: 'sub_basil' } },
    });
    expect(one(event('invoice.paid', fromInvoice))).toMatchObject({ click_id: 'clk_invoice' });
  });

  it('maps a one-off invoice without a subscription', () => {
    const oneOff = basilInvoice({ parent: null, lines: { object: 'list', has_more: false, data: [] }, payments: basilPayments() });
    const mapped = one(event('invoice.paid', oneOff));
    expect(mapped).not.toHaveProperty('subscription');
    expect(mapped).toMatchObject({ payment: { id: 'pi_basil' } });
  });

  it('refuses loudly a payload without a customer', () => {
    expect(() => map(event('invoice.paid', basilInvoice({ customer: null })))).toThrow(StripeMappingError);
  });
});

describe('charge.refunded → payment.refunded', () => {
  it('a partial refund sends the newly refunded amount, from previous_attributes', () => {
    const first = event('charge.refunded', charge({ amount_refunded: 3000 }), { id: 'evt_r1', previous_attributes: { amount_refunded: 0 } });
    expect(one(first)).toEqual({
      id: 'evt_r1',
      type: 'payment.refunded',
      program: 'kartra',
      occurred_at: '2027-01-03T10:00:05Z',
      customer: { id: 'cus_basil', email: 'buyer@example.com' },
      payment: { id: 'pi_basil', amount: 3000, currency: 'usd' },
    });
    // A second partial refund: the charge says 5000 in all, 3000 before: 2000 now, not 5000.
    const second = event('charge.refunded', charge({ amount_refunded: 5000 }), { id: 'evt_r2', previous_attributes: { amount_refunded: 3000, refunded: false } });
    expect(one(second)).toMatchObject({ id: 'evt_r2', payment: { amount: 2000 } });
  });

  it('prefers the refund objects when the charge lists them: one event per live refund, keyed by refund id', () => {
    const refunds = {
      object: 'list',
      has_more: false,
      data: [refund('re_2', 2000, PAID_AT + 200), refund('re_failed', 999, PAID_AT + 150, 'failed'), refund('re_1', 3000, PAID_AT + 100)],
    };
    const mapped = map(event('charge.refunded', charge({ amount_refunded: 5000, refunds }), { previous_attributes: { amount_refunded: 3000 } }));
    expect(mapped.map((e) => [e.id, paymentId(e), e.type === 'payment.refunded' ? e.payment.amount : null, e.occurred_at])).toEqual([
      ['re_2', 'pi_basil', 2000, '2027-01-03T10:03:20Z'],
      ['re_1', 'pi_basil', 3000, '2027-01-03T10:01:40Z'],
    ]);
  });

  it('names a charge without a PaymentIntent by its charge id', () => {
    const mapped = one(event('charge.refunded', charge({ id: 'ch_direct', payment_intent: null, amount_refunded: 9900, refunded: true }), { previous_attributes: { amount_refunded: 0 } }));
    expect(mapped).toMatchObject({ payment: { id: 'ch_direct', amount: 9900 } });
  });

  it('without previous_attributes or a refund list, sends the cumulative amount (exact for a first refund)', () => {
    expect(one(event('charge.refunded', charge({ amount_refunded: 9900, refunded: true })))).toMatchObject({ payment: { amount: 9900 } });
  });

  it('sends nothing when nothing new was refunded, and no customer for a guest charge', () => {
    expect(map(event('charge.refunded', charge({ amount_refunded: 3000 }), { previous_attributes: { amount_refunded: 3000 } }))).toEqual([]);
    expect(one(event('charge.refunded', charge({ customer: null, amount_refunded: 100 }), { previous_attributes: { amount_refunded: 0 } }))).not.toHaveProperty('customer');
  });
});

describe('charge.dispute.created → payment.disputed', () => {
  it('names the payment by its PaymentIntent, else its charge', () => {
    expect(one(event('charge.dispute.created', dispute(), { id: 'evt_dp' }))).toEqual({
      id: 'evt_dp',
      type: 'payment.disputed',
      program: 'kartra',
      occurred_at: '2027-01-13T10:00:00Z',
      payment: { id: 'pi_basil', currency: 'usd' },
    });
    expect(one(event('charge.dispute.created', dispute({ payment_intent: null, charge: 'ch_direct' })))).toMatchObject({ payment: { id: 'ch_direct' } });
  });

  it('adds the customer when the charge is expanded', () => {
    expect(one(event('charge.dispute.created', dispute({ charge: charge() })))).toMatchObject({ customer: { id: 'cus_basil' } });
  });
});

describe('customer.subscription.created / deleted → subscription.started / canceled', () => {
  it('starts the subscription with its interval and the click from its metadata', () => {
    expect(one(event('customer.subscription.created', subscription(), { id: 'evt_sc' }))).toEqual({
      id: 'evt_sc',
      type: 'subscription.started',
      program: 'kartra',
      occurred_at: '2027-01-03T09:59:30Z',
      customer: { id: 'cus_basil' },
      subscription: { id: 'sub_basil', interval: 'month' },
      click_id: 'clk_basil',
    });
  });

  it('starts a yearly trial subscription without metadata', () => {
    const trialing = subscription({
      status: 'trialing',
      metadata: {},
      items: { object: 'list', has_more: false, data: [{ id: 'si_y', price: prices.yearlyPrice }] },
    });
    const mapped = one(event('customer.subscription.created', trialing));
    expect(mapped).toMatchObject({ subscription: { interval: 'year' } });
    expect(mapped).not.toHaveProperty('click_id');
  });

  it('cancels at the time the subscription ended', () => {
    const ended = subscription({ status: 'canceled', canceled_at: PAID_AT + 86_400, ended_at: PAID_AT + 2 * 86_400 });
    expect(one(event('customer.subscription.deleted', ended, { id: 'evt_sd' }))).toMatchObject({
      id: 'evt_sd',
      type: 'subscription.canceled',
      occurred_at: '2027-01-05T10:00:00Z',
      subscription: { id: 'sub_basil', interval: 'month' },
    });
  });

  it('refuses loudly a subscription whose interval cannot be read', () => {
    expect(() => map(event('customer.subscription.created', subscription({ items: { object: 'list', data: [] } })))).toThrow(/interval/);
  });
});

describe('checkout.session.completed (Payment Links carry the click as client_reference_id)', () => {
  it('starts the subscription with the click once the subscription is expanded', () => {
    const thin = event('checkout.session.completed', checkoutSession(), { id: 'evt_cs' });
    expect(expansionNeeded(thin)).toEqual({ object: 'checkout.session', id: 'cs_test_1', expand: ['subscription'] });
    expect(() => map(thin)).toThrow(StripeMappingError);

    const expanded = event('checkout.session.completed', checkoutSession({ subscription: subscription({ metadata: {} }) }), { id: 'evt_cs' });
    expect(expansionNeeded(expanded)).toBeNull();
    expect(one(expanded)).toEqual({
      id: 'evt_cs',
      type: 'subscription.started',
      program: 'kartra',
      occurred_at: '2027-01-03T10:00:05Z',
      customer: { id: 'cus_basil', email: 'buyer@example.com' },
      subscription: { id: 'sub_basil', interval: 'month' },
      click_id: 'clk_link',
    });
  });

  it('sends nothing for a session without a click, with a malformed one, or for a one-off payment', () => {
    expect(map(event('checkout.session.completed', checkoutSession({ client_reference_id: null })))).toEqual([]);
    expect(map(event('checkout.session.completed', checkoutSession({ client_reference_id: 'user 42!' })))).toEqual([]);
    expect(map(event('checkout.session.completed', checkoutSession({ mode: 'payment', subscription: null })))).toEqual([]);
    expect(expansionNeeded(event('checkout.session.completed', checkoutSession({ client_reference_id: null })))).toBeNull();
  });
});

describe('one payment id across events', () => {
  it('the invoice, its refund and its dispute name the same payment, in both shapes', () => {
    const legacyPaid = one(event('invoice.paid', legacyInvoice()));
    const legacyRefund = one(event('charge.refunded', charge({ id: 'ch_legacy', payment_intent: 'pi_legacy', amount_refunded: 100 }), { previous_attributes: { amount_refunded: 0 } }));
    const legacyDispute = one(event('charge.dispute.created', dispute({ charge: 'ch_legacy', payment_intent: 'pi_legacy' })));
    expect(new Set([paymentId(legacyPaid), paymentId(legacyRefund), paymentId(legacyDispute)])).toEqual(new Set(['pi_legacy']));

    const basilPaid = one(event('invoice.paid', basilInvoice({ payments: basilPayments() })));
    const basilRefund = one(event('charge.refunded', charge({ amount_refunded: 100 }), { previous_attributes: { amount_refunded: 0 } }));
    const basilDispute = one(event('charge.dispute.created', dispute()));
    expect(new Set([paymentId(basilPaid), paymentId(basilRefund), paymentId(basilDispute)])).toEqual(new Set(['pi_basil']));
  });
});

describe('other events', () => {
  it.each(['invoice.payment_failed', 'invoice.created', 'customer.subscription.updated', 'payment_intent.succeeded', 'charge.succeeded'])(
    '%s maps to nothing (answered 200)',
    (type) => {
      expect(map(event(type, { id: 'x_1', object: 'whatever' }))).toEqual([]);
    },
  );
});
