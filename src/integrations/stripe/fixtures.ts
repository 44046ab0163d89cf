// Test fixtures only: Stripe webhook events as Stripe sends them, trimmed to the fields that
// matter, in the pre-basil (2024-06-20) and basil+ (2025-03-31.basil and later) shapes.
// Amounts are minor units; times are epoch seconds, as in Stripe's payloads.
import type { StripeEventLike } from './map.js';

export const PAID_AT = 1_798_970_400; // 2027-01-03T10:00:00Z
export const EVENT_CREATED = PAID_AT + 5;

type Json = Record<string, unknown>;

export function event(type: string, object: Json, extra: { id?: string; previous_attributes?: Json; api_version?: string } = {}): StripeEventLike & Json {
  const data: { object: Json; previous_attributes?: Json } = { object };
  if (extra.previous_attributes) data.previous_attributes = extra.previous_attributes;
  return {
    id: extra.id ?? 'evt_1QxA',
    object: 'event',
    api_version: extra.api_version ?? '2025-03-31.basil',
    created: EVENT_CREATED,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data,
  };
}

const monthlyPrice = {
  id: 'price_month',
  object: 'price',
  currency: 'usd',
  recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
  type: 'recurring',
  unit_amount: 9900,
};

const yearlyPrice = {
  ...monthlyPrice,
  id: 'price_year',
  recurring: { interval: 'year', interval_count: 1, usage_type: 'licensed' },
  unit_amount: 99000,
};

/** An `invoice.paid` payload before basil: `charge`, `payment_intent`, `subscription` on the invoice. */
export function legacyInvoice(overrides: Json = {}): Json {
  return {
    id: 'in_legacy',
    object: 'invoice',
    amount_due: 9900,
    amount_paid: 9900,
    amount_remaining: 0,
    billing_reason: 'subscription_create',
    charge: 'ch_legacy',
    currency: 'usd',
    customer: 'cus_legacy',
    customer_email: 'buyer@example.com',
    discount: null,
    discounts: [],
    lines: {
      object: 'list',
      data: [
        {
          id: 'il_legacy',
          object: 'line_item',
          amount: 9900,
          currency: 'usd',
          metadata: { aff_click: 'clk_line' },
          period: { start: PAID_AT, end: PAID_AT + 31 * 86_400 },
          plan: { id: 'price_month', object: 'plan', interval: 'month', interval_count: 1 },
          price: monthlyPrice,
          proration: false,
          subscription: 'sub_legacy',
          subscription_item: 'si_legacy',
          type: 'subscription',
        },
      ],
      has_more: false,
    },
    metadata: {},
    paid: true,
    payment_intent: 'pi_legacy',
    status: 'paid',
    status_transitions: { finalized_at: PAID_AT - 60, paid_at: PAID_AT },
    subscription: 'sub_legacy',
    subscription_details: { metadata: { aff_click: 'clk_legacy', aff_ref: 'janedoe' } },
    subtotal: 9900,
    total: 9900,
    total_discount_amounts: [],
    ...overrides,
  };
}

/** An `invoice.paid` payload from basil on: `parent.subscription_details`, no charge/payment_intent. */
export function basilInvoice(overrides: Json = {}): Json {
  return {
    id: 'in_basil',
    object: 'invoice',
    amount_due: 9900,
    amount_overpaid: 0,
    amount_paid: 9900,
    amount_remaining: 0,
    billing_reason: 'subscription_cycle',
    currency: 'usd',
    customer: 'cus_basil',
    customer_email: 'buyer@example.com',
    discounts: [],
    lines: {
      object: 'list',
      data: [
        {
          id: 'il_basil',
          object: 'line_item',
          amount: 9900,
          currency: 'usd',
          discount_amounts: [],
          metadata: {},
          parent: {
            type: 'subscription_item_details',
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              proration_details: { credited_items: null },
              subscription: 'sub_basil',
              subscription_item: 'si_basil',
            },
          },
          period: { start: PAID_AT, end: PAID_AT + 31 * 86_400 },
          pricing: { type: 'price_details', price_details: { price: 'price_month', product: 'prod_1' }, unit_amount_decimal: '9900' },
          quantity: 1,
          subtotal: 9900,
        },
      ],
      has_more: false,
    },
    metadata: {},
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { metadata: { aff_click: 'clk_basil' }, subscription: 'sub_basil' },
    },
    status: 'paid',
    status_transitions: { finalized_at: PAID_AT - 60, paid_at: PAID_AT },
    subtotal: 9900,
    total: 9900,
    total_discount_amounts: [],
    total_pretax_credit_amounts: [],
    ...overrides,
  };
}

/** The `payments` list of a basil+ invoice, as returned with `expand[]=payments`. */
export function basilPayments(payment: Json = { type: 'payment_intent', payment_intent: 'pi_basil' }): Json {
  return {
    object: 'list',
    data: [
      {
        id: 'inpay_1',
        object: 'invoice_payment',
        amount_paid: 9900,
        amount_requested: 9900,
        currency: 'usd',
        invoice: 'in_basil',
        is_default: true,
        payment,
        status: 'paid',
        status_transitions: { canceled_at: null, paid_at: PAID_AT },
      },
    ],
    has_more: false,
  };
}

export function charge(overrides: Json = {}): Json {
  return {
    id: 'ch_basil',
    object: 'charge',
    amount: 9900,
    amount_captured: 9900,
    amount_refunded: 0,
    billing_details: { email: null, name: 'Buyer' },
    captured: true,
    created: PAID_AT,
    currency: 'usd',
    customer: 'cus_basil',
    disputed: false,
    metadata: {},
    paid: true,
    payment_intent: 'pi_basil',
    payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242', fingerprint: 'fp_Xy12' } },
    receipt_email: 'buyer@example.com',
    refunded: false,
    status: 'succeeded',
    ...overrides,
  };
}

export function refund(id: string, amount: number, created: number, status = 'succeeded'): Json {
  return { id, object: 'refund', amount, charge: 'ch_basil', created, currency: 'usd', payment_intent: 'pi_basil', status };
}

export function dispute(overrides: Json = {}): Json {
  return {
    id: 'dp_1',
    object: 'dispute',
    amount: 9900,
    charge: 'ch_basil',
    created: PAID_AT + 10 * 86_400,
    currency: 'usd',
    is_charge_refundable: false,
    metadata: {},
    payment_intent: 'pi_basil',
    reason: 'fraudulent',
    status: 'needs_response',
    ...overrides,
  };
}

export function subscription(overrides: Json = {}): Json {
  return {
    id: 'sub_basil',
    object: 'subscription',
    cancel_at_period_end: false,
    canceled_at: null,
    created: PAID_AT - 30,
    currency: 'usd',
    customer: 'cus_basil',
    ended_at: null,
    items: {
      object: 'list',
      data: [{ id: 'si_basil', object: 'subscription_item', price: monthlyPrice, quantity: 1, subscription: 'sub_basil' }],
      has_more: false,
    },
    metadata: { aff_click: 'clk_basil' },
    start_date: PAID_AT - 30,
    status: 'active',
    trial_end: null,
    trial_start: null,
    ...overrides,
  };
}

export const prices = { monthlyPrice, yearlyPrice };

export function checkoutSession(overrides: Json = {}): Json {
  return {
    id: 'cs_test_1',
    object: 'checkout.session',
    client_reference_id: 'clk_link',
    created: PAID_AT - 120,
    customer: 'cus_basil',
    customer_details: { email: 'buyer@example.com', name: 'Buyer' },
    metadata: {},
    mode: 'subscription',
    payment_link: 'plink_1',
    payment_status: 'paid',
    status: 'complete',
    subscription: 'sub_basil',
    ...overrides,
  };
}
