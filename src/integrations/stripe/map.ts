// Stripe billing events → Affable events (api.md "Events"). A pure function of the payload:
// no I/O, no clock. The webhook route verifies the signature (verify.ts), optionally expands what
// `expansionNeeded` asks for (one Stripe API read at the edge), maps, and posts each result to the
// events use case, answering Stripe 200 once every event is recorded (duplicates included).
//
// Payloads differ by the merchant's Stripe API version. Both shapes are read:
//   - before 2025-03-31.basil, an Invoice carried `charge`, `payment_intent`, `subscription` and
//     `subscription_details.metadata`; lines carried `price.recurring` (and `plan`) and `type`.
//   - from basil on, Stripe removed `charge`/`payment_intent`/`subscription` from Invoice and the
//     `invoice` field from Charge/PaymentIntent; the subscription is `parent.subscription_details`
//     (with a metadata snapshot), payments are the includable `payments` list (absent from
//     webhook payloads unless expanded), and lines carry `parent.subscription_item_details` and
//     `pricing.price_details.price` (an id unless expanded).
//     docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices
//
// One payment id across events: a payment is named by its PaymentIntent id when it has one,
// else by its Charge id. That is what basil's InvoicePayment surfaces ("charge is only surfaced
// if the charge object is not associated with a payment intent"), and what `charge.refunded`
// (`charge.payment_intent ?? charge.id`) and `charge.dispute.created`
// (`dispute.payment_intent ?? dispute.charge`) yield, so refunds and disputes find the payment.
import type { Interval } from '../../domain/plan.js';

export const AFFABLE_EVENT_TYPES = [
  'subscription.started',
  'payment.succeeded',
  'payment.refunded',
  'payment.disputed',
  'subscription.canceled',
] as const;
export type AffableEventType = (typeof AFFABLE_EVENT_TYPES)[number];

export interface AffableCustomer {
  id: string;
  email?: string;
}

export interface AffableSubscription {
  id: string;
  interval: Interval;
}

interface AffableEventBase {
  /** The Stripe event id (`evt_...`); for refunds listed on the charge, the refund id (`re_...`). */
  id: string;
  program: string;
  /** RFC 3339 UTC, whole seconds (Stripe's timestamps are epoch seconds). */
  occurred_at: string;
  click_id?: string;
  referral_code?: string;
}

export interface SubscriptionStartedEvent extends AffableEventBase {
  type: 'subscription.started';
  customer: AffableCustomer;
  subscription: AffableSubscription;
}

export interface SubscriptionCanceledEvent extends AffableEventBase {
  type: 'subscription.canceled';
  customer: AffableCustomer;
  subscription: AffableSubscription;
}

export interface PaymentSucceededEvent extends AffableEventBase {
  type: 'payment.succeeded';
  customer: AffableCustomer;
  subscription?: AffableSubscription;
  payment: { id: string; amount: number; currency: string; full_price: boolean; fingerprint?: string };
}

export interface PaymentRefundedEvent extends AffableEventBase {
  type: 'payment.refunded';
  /** Present when the charge names its customer (a guest charge may not). */
  customer?: AffableCustomer;
  /** `amount` is the amount newly refunded by this event, in minor units. */
  payment: { id: string; amount: number; currency: string };
}

export interface PaymentDisputedEvent extends AffableEventBase {
  type: 'payment.disputed';
  /** Only when the dispute's charge is expanded in the payload; a Dispute names no customer. */
  customer?: AffableCustomer;
  /** A chargeback reverses the whole commission (R4.3), so no partial amount is sent. */
  payment: { id: string; currency: string };
}

export type AffableEvent =
  | SubscriptionStartedEvent
  | SubscriptionCanceledEvent
  | PaymentSucceededEvent
  | PaymentRefundedEvent
  | PaymentDisputedEvent;

/** The part of a Stripe event we read. `Stripe.Event` from verify.ts fits it. */
export interface StripeEventLike {
  id: string;
  type: string;
  /** Epoch seconds. */
  created: number;
  data: { object: unknown; previous_attributes?: unknown };
}

export interface MapStripeEventOptions {
  /** The Affable program slug the merchant's Stripe account feeds. */
  program: string;
}

/**
 * A payload that a mapped event type needs but lacks (a customer, a subscription's interval...).
 * Loud on purpose (style §6): answering 200 would lose a sale silently. The HTTP edge should
 * answer 400 and log it, so the delivery shows as failed in the Stripe dashboard.
 */
export class StripeMappingError extends Error {
  readonly code = 'stripe_payload_unusable' as const;

  constructor(
    readonly stripeEventId: string,
    readonly stripeEventType: string,
    readonly missing: string,
  ) {
    super(`Stripe event ${stripeEventId} (${stripeEventType}) cannot be mapped: ${missing}`);
    this.name = 'StripeMappingError';
  }
}

/** Stripe metadata keys the merchant sets (see README.md). */
export const CLICK_METADATA_KEY = 'aff_click';
export const REFERRAL_METADATA_KEY = 'aff_ref';

/** The tracker's rule for ids (src/tracker/affable.js): anything else is ignored, never forwarded. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Maps one Stripe event to zero or more Affable events. Types we do not use map to `[]` (the
 * route answers 200 so Stripe stops retrying).
 * @example
 *   mapStripeEvent(invoicePaidEvent, { program: 'kartra' })
 *   // → [{ id: 'evt_1', type: 'payment.succeeded', payment: { id: 'pi_1', amount: 9900, ... }, click_id: 'clk_1', ... }]
 */
export function mapStripeEvent(event: StripeEventLike, options: MapStripeEventOptions): AffableEvent[] {
  const object = record(event.data.object);
  if (!object) return [];
  const context: MappingContext = { event, program: options.program };
  switch (event.type) {
    case 'invoice.paid':
      return [mapInvoicePaid(context, object)];
    case 'charge.refunded':
      return mapChargeRefunded(context, object);
    case 'charge.dispute.created':
      return [mapDisputeCreated(context, object)];
    case 'customer.subscription.created':
      return [mapSubscription(context, object, 'subscription.started')];
    case 'customer.subscription.deleted':
      return [mapSubscription(context, object, 'subscription.canceled')];
    case 'checkout.session.completed':
      return mapCheckoutSessionCompleted(context, object);
    default:
      return [];
  }
}

/** What the route should re-read from Stripe, with these `expand[]` values, before mapping. */
export interface ExpansionRequest {
  object: 'invoice' | 'checkout.session';
  id: string;
  expand: string[];
}

/**
 * Tells the webhook route when a payload is too thin to map well, so that it can retrieve the
 * object with `expand[]` (one API call) and put it in `event.data.object` before `mapStripeEvent`:
 *   - `invoice.paid` in the basil+ shape without `payments`: without it the payment id falls back
 *     to the invoice id (`in_...`), which later refunds and disputes (named `pi_`/`ch_`) miss.
 *   - `checkout.session.completed` for a subscription carrying a click (a Payment Link decorated
 *     with `client_reference_id`): the session names the subscription by id only, and its
 *     interval is needed to start it.
 * Returns null when the payload is complete enough.
 */
export function expansionNeeded(event: StripeEventLike): ExpansionRequest | null {
  const object = record(event.data.object);
  const id = text(object?.['id']);
  if (!object || !id) return null;
  if (event.type === 'invoice.paid') {
    const hasOldShape = 'charge' in object || 'payment_intent' in object;
    if (!hasOldShape && invoicePaymentIdentity(object) === undefined && (integer(object['amount_paid']) ?? 0) > 0) {
      return { object: 'invoice', id, expand: ['payments'] };
    }
    return null;
  }
  if (event.type === 'checkout.session.completed') {
    if (object['mode'] !== 'subscription' || !text(idOf(object['subscription']))) return null;
    const attribution = checkoutAttribution(object);
    if (!attribution.click_id && !attribution.referral_code) return null;
    if (checkoutInterval(object) !== undefined) return null;
    return { object: 'checkout.session', id, expand: ['subscription'] };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Per type

interface MappingContext {
  event: StripeEventLike;
  program: string;
}

function base(context: MappingContext, occurredAtSeconds: number | undefined): AffableEventBase {
  return {
    id: context.event.id,
    program: context.program,
    occurred_at: isoSeconds(occurredAtSeconds ?? context.event.created),
  };
}

function need<T>(context: MappingContext, value: T | undefined, what: string): T {
  if (value === undefined) throw new StripeMappingError(context.event.id, context.event.type, what);
  return value;
}

/** `invoice.paid` → `payment.succeeded` (R4.4: only money received; R4.1: full price or not). */
function mapInvoicePaid(context: MappingContext, invoice: Json): PaymentSucceededEvent {
  const invoiceId = need(context, text(invoice['id']), 'invoice id');
  const customer = need(context, invoiceCustomer(invoice), 'invoice customer');
  const amountPaid = need(context, integer(invoice['amount_paid']), 'invoice amount_paid');
  const currency = need(context, text(invoice['currency']), 'invoice currency');
  const identity = invoicePaymentIdentity(invoice);
  // A $0 invoice (a free trial's start, a 100% coupon) has no payment at all; and a basil+
  // payload without `payments` cannot name one: the invoice id stands in (see expansionNeeded).
  const paymentId = identity?.id ?? invoiceId;
  const subscriptionId = invoiceSubscriptionId(invoice);
  const event: PaymentSucceededEvent = {
    ...base(context, integer(record(invoice['status_transitions'])?.['paid_at'])),
    type: 'payment.succeeded',
    customer,
    payment: { id: paymentId, amount: amountPaid, currency, full_price: invoiceIsFullPrice(invoice, amountPaid) },
  };
  if (identity?.fingerprint) event.payment.fingerprint = identity.fingerprint;
  if (subscriptionId) {
    const interval = need(context, invoiceInterval(invoice), 'the subscription line price interval');
    event.subscription = { id: subscriptionId, interval };
  }
  return withAttribution(event, invoiceAttribution(invoice));
}

/**
 * `charge.refunded` → `payment.refunded`, with the amount refunded *by this event*, never the
 * charge's cumulative `amount_refunded` (a second partial refund would otherwise count twice):
 *   1. the charge lists its refunds (`refunds.data`, complete): one event per live refund, keyed by
 *      the refund id (`re_...`), so a refund listed again on a later event is a duplicate;
 *   2. else `previous_attributes.amount_refunded` (Stripe sends the old value on this event):
 *      the difference, keyed by the Stripe event id;
 *   3. else the cumulative amount, exact for a first refund only (documented in README.md).
 */
function mapChargeRefunded(context: MappingContext, charge: Json): PaymentRefundedEvent[] {
  const chargeId = need(context, text(charge['id']), 'charge id');
  const paymentId = text(idOf(charge['payment_intent'])) ?? chargeId;
  const currency = need(context, text(charge['currency']), 'charge currency');
  const customer = chargeCustomer(charge);
  const refundList = record(charge['refunds']);
  const refunds = refundList && refundList['has_more'] !== true ? listData(refundList) : [];
  const live = refunds.filter((refund) => {
    const status = text(refund['status']);
    return status === undefined || status === 'succeeded' || status === 'pending';
  });
  if (live.length > 0) {
    return live
      .map((refund): PaymentRefundedEvent | undefined => {
        const refundId = text(refund['id']);
        const amount = integer(refund['amount']);
        if (!refundId || amount === undefined || amount <= 0) return undefined;
        const event: PaymentRefundedEvent = {
          ...base(context, integer(refund['created'])),
          id: refundId,
          type: 'payment.refunded',
          payment: { id: paymentId, amount, currency: text(refund['currency']) ?? currency },
        };
        if (customer) event.customer = customer;
        return event;
      })
      .filter((event): event is PaymentRefundedEvent => event !== undefined);
  }
  const refundedNow = need(context, integer(charge['amount_refunded']), 'charge amount_refunded');
  const refundedBefore = integer(record(context.event.data.previous_attributes)?.['amount_refunded']) ?? 0;
  const amount = refundedNow - refundedBefore;
  if (amount <= 0) return [];
  const event: PaymentRefundedEvent = {
    ...base(context, undefined),
    type: 'payment.refunded',
    payment: { id: paymentId, amount, currency },
  };
  if (customer) event.customer = customer;
  return [event];
}

/** `charge.dispute.created` → `payment.disputed` (R4.3: a chargeback reverses the commission). */
function mapDisputeCreated(context: MappingContext, dispute: Json): PaymentDisputedEvent {
  const paymentId = need(
    context,
    text(idOf(dispute['payment_intent'])) ?? text(idOf(dispute['charge'])),
    'dispute payment_intent or charge',
  );
  const currency = need(context, text(dispute['currency']), 'dispute currency');
  const event: PaymentDisputedEvent = {
    ...base(context, integer(dispute['created'])),
    type: 'payment.disputed',
    payment: { id: paymentId, currency },
  };
  const charge = record(dispute['charge']);
  const customer = charge ? chargeCustomer(charge) : undefined;
  if (customer) event.customer = customer;
  return event;
}

/** `customer.subscription.created` / `.deleted` → `subscription.started` / `.canceled` (R3.1). */
function mapSubscription(
  context: MappingContext,
  subscription: Json,
  type: 'subscription.started' | 'subscription.canceled',
): SubscriptionStartedEvent | SubscriptionCanceledEvent {
  const id = need(context, text(subscription['id']), 'subscription id');
  const customerValue = subscription['customer'];
  const customer: AffableCustomer = { id: need(context, text(idOf(customerValue)), 'subscription customer') };
  const email = text(record(customerValue)?.['email']);
  if (email) customer.email = email;
  const interval = need(context, subscriptionInterval(subscription), 'subscription item price interval');
  const occurredAt =
    type === 'subscription.started'
      ? // Not `start_date`: a merchant may backdate it, and R2.2 needs the click before the start.
        integer(subscription['created'])
      : integer(subscription['ended_at']) ?? integer(subscription['canceled_at']);
  const event = { ...base(context, occurredAt), type, customer, subscription: { id, interval } };
  return withAttribution(event, attributionFrom([record(subscription['metadata']), record(customerValue)?.['metadata']]));
}

/**
 * `checkout.session.completed` for a subscription → `subscription.started` carrying the click.
 * This is the only event that carries `client_reference_id`, which is how a Stripe Payment Link
 * (decorated by the tracker) passes the click. Without a click or code there is nothing to add to
 * `customer.subscription.created`, so nothing is emitted. R3.1 binds the subscription on its first
 * event that carries a qualifying click, so this second `subscription.started` binds it even when
 * `customer.subscription.created` arrived first.
 */
function mapCheckoutSessionCompleted(context: MappingContext, session: Json): SubscriptionStartedEvent[] {
  if (session['mode'] !== 'subscription') return [];
  const attribution = checkoutAttribution(session);
  if (!attribution.click_id && !attribution.referral_code) return [];
  const subscriptionId = need(context, text(idOf(session['subscription'])), 'checkout session subscription');
  const customer: AffableCustomer = {
    id: need(context, text(idOf(session['customer'])), 'checkout session customer'),
  };
  const email = text(record(session['customer_details'])?.['email']) ?? text(session['customer_email']);
  if (email) customer.email = email;
  const interval = need(context, checkoutInterval(session), 'the subscription interval (retrieve the session with expand[]=subscription)');
  const event: SubscriptionStartedEvent = {
    // The session's `created` is when checkout opened; the subscription starts on completion.
    ...base(context, undefined),
    type: 'subscription.started',
    customer,
    subscription: { id: subscriptionId, interval },
  };
  return [withAttribution(event, attribution)];
}

// ---------------------------------------------------------------------------------------------
// Invoice fields, old and basil+ shapes

interface PaymentIdentity {
  id: string;
  fingerprint?: string;
}

function invoicePaymentIdentity(invoice: Json): PaymentIdentity | undefined {
  // Before basil: `payment_intent` and `charge` on the invoice (ids, or objects when expanded).
  const legacyIntent = invoice['payment_intent'];
  const legacyCharge = invoice['charge'];
  const legacyId = text(idOf(legacyIntent)) ?? text(idOf(legacyCharge));
  if (legacyId) return withFingerprint(legacyId, [record(legacyCharge), record(record(legacyIntent)?.['latest_charge'])]);
  // basil+: the paid entry of `payments` (present when expanded or re-read with expand[]=payments).
  const payments = listData(record(invoice['payments']));
  const paid =
    payments.find((entry) => entry['status'] === 'paid' && entry['is_default'] === true) ??
    payments.find((entry) => entry['status'] === 'paid') ??
    payments.find((entry) => entry['is_default'] === true);
  const payment = record(paid?.['payment']);
  if (!payment) return undefined;
  const intent = payment['payment_intent'];
  const charge = payment['charge'];
  const id = text(idOf(intent)) ?? text(idOf(charge));
  if (!id) return undefined;
  return withFingerprint(id, [record(charge), record(record(intent)?.['latest_charge'])]);
}

function withFingerprint(id: string, charges: (Json | undefined)[]): PaymentIdentity {
  for (const charge of charges) {
    const fingerprint = charge ? cardFingerprint(charge) : undefined;
    if (fingerprint) return { id, fingerprint };
  }
  return { id };
}

/** R4.5: the card fingerprint, when the charge object (not just its id) is in the payload. */
function cardFingerprint(charge: Json): string | undefined {
  return text(record(record(charge['payment_method_details'])?.['card'])?.['fingerprint']);
}

function invoiceCustomer(invoice: Json): AffableCustomer | undefined {
  const value = invoice['customer'];
  const id = text(idOf(value));
  if (!id) return undefined;
  const email = text(invoice['customer_email']) ?? text(record(value)?.['email']);
  return email ? { id, email } : { id };
}

function invoiceSubscriptionId(invoice: Json): string | undefined {
  const details = record(record(invoice['parent'])?.['subscription_details']);
  return (
    text(idOf(details?.['subscription'])) ??
    text(idOf(invoice['subscription'])) ??
    text(idOf(subscriptionLine(invoice)?.['subscription'])) ??
    text(record(record(subscriptionLine(invoice)?.['parent'])?.['subscription_item_details'])?.['subscription'])
  );
}

/** The invoice's subscription line: a non-proration one first (the plan being paid for). */
function subscriptionLine(invoice: Json): Json | undefined {
  const lines = listData(record(invoice['lines'])).filter((line) => {
    const parent = record(line['parent']);
    return line['type'] === 'subscription' || parent?.['type'] === 'subscription_item_details' || line['subscription'] != null;
  });
  const isProration = (line: Json): boolean =>
    line['proration'] === true || record(record(line['parent'])?.['subscription_item_details'])?.['proration'] === true;
  return lines.find((line) => !isProration(line)) ?? lines[0];
}

/** The plan's billing interval, from the line's price; from its period length as a last resort. */
function invoiceInterval(invoice: Json): Interval | undefined {
  const line = subscriptionLine(invoice);
  if (!line) return undefined;
  const price = record(line['price']) ?? record(record(record(line['pricing'])?.['price_details'])?.['price']);
  const fromPrice = recurringInterval(record(price?.['recurring'])) ?? recurringInterval(record(line['plan']));
  if (fromPrice) return fromPrice;
  // basil+ lines name the price by id only. A subscription line's period is one billing period,
  // so its length tells a year from a month (a trial line is free, so its guess earns nothing).
  const period = record(line['period']);
  const start = integer(period?.['start']);
  const end = integer(period?.['end']);
  if (start === undefined || end === undefined || end <= start) return undefined;
  return end - start >= 360 * 86_400 ? 'year' : 'month';
}

/**
 * R4.1: a discounted or free payment is not a full-price sale. Discounts show as
 * `total_discount_amounts` (all versions) or as a total below the subtotal; a $0 invoice is a
 * trial or a 100% coupon. Tax can lift `total` above `subtotal`, hence both checks.
 */
function invoiceIsFullPrice(invoice: Json, amountPaid: number): boolean {
  if (amountPaid === 0) return false;
  const discounted = listData({ data: invoice['total_discount_amounts'] }).reduce(
    (sum, entry) => sum + (integer(entry['amount']) ?? 0),
    0,
  );
  if (discounted > 0) return false;
  // Total below subtotal without a listed discount: a pre-tax credit (basil's
  // `total_pretax_credit_amounts`) or an older payload's `discount`. Not the list price.
  const total = integer(invoice['total']);
  const subtotal = integer(invoice['subtotal']);
  return !(total !== undefined && subtotal !== undefined && total < subtotal);
}

/**
 * The click travels in the subscription's metadata (the merchant sets
 * `subscription_data.metadata.aff_click` at Checkout; Stripe copies it to the subscription), which
 * Stripe snapshots on the invoice as `parent.subscription_details.metadata` (basil+) or
 * `subscription_details.metadata` (2023+), and on subscription lines' `metadata` (older versions).
 */
function invoiceAttribution(invoice: Json): Attribution {
  const details =
    record(record(invoice['parent'])?.['subscription_details']) ?? record(invoice['subscription_details']);
  const expandedSubscription = record(details?.['subscription']) ?? record(invoice['subscription']);
  return attributionFrom([
    record(details?.['metadata']),
    record(expandedSubscription?.['metadata']),
    record(subscriptionLine(invoice)?.['metadata']),
    record(invoice['metadata']),
    record(record(invoice['customer'])?.['metadata']),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Subscriptions, charges, checkout sessions

function subscriptionInterval(subscription: Json): Interval | undefined {
  for (const item of listData(record(subscription['items']))) {
    const interval = recurringInterval(record(record(item['price'])?.['recurring'])) ?? recurringInterval(record(item['plan']));
    if (interval) return interval;
  }
  return recurringInterval(record(subscription['plan']));
}

function checkoutInterval(session: Json): Interval | undefined {
  const subscription = record(session['subscription']);
  if (subscription) {
    const interval = subscriptionInterval(subscription);
    if (interval) return interval;
  }
  for (const item of listData(record(session['line_items']))) {
    const interval = recurringInterval(record(record(item['price'])?.['recurring']));
    if (interval) return interval;
  }
  return undefined;
}

/**
 * Affable knows two intervals (R5). A plan billed every 12 months or more pays the annual rates;
 * anything shorter (weekly, monthly, quarterly) pays the monthly ones.
 */
function recurringInterval(recurring: Json | undefined): Interval | undefined {
  const interval = text(recurring?.['interval']);
  if (!interval) return undefined;
  const count = integer(recurring?.['interval_count']) ?? 1;
  if (interval === 'year' || (interval === 'month' && count >= 12)) return 'year';
  if (interval === 'month' || interval === 'week' || interval === 'day') return 'month';
  return undefined;
}

function chargeCustomer(charge: Json): AffableCustomer | undefined {
  const value = charge['customer'];
  const id = text(idOf(value));
  if (!id) return undefined;
  const email =
    text(record(charge['billing_details'])?.['email']) ?? text(charge['receipt_email']) ?? text(record(value)?.['email']);
  return email ? { id, email } : { id };
}

function checkoutAttribution(session: Json): Attribution {
  const fromMetadata = attributionFrom([
    record(session['metadata']),
    record(record(session['subscription'])?.['metadata']),
  ]);
  const clientReference = token(session['client_reference_id']);
  return { click_id: clientReference ?? fromMetadata.click_id, referral_code: fromMetadata.referral_code };
}

// ---------------------------------------------------------------------------------------------
// Attribution

interface Attribution {
  click_id: string | undefined;
  referral_code: string | undefined;
}

function attributionFrom(metadatas: unknown[]): Attribution {
  let click: string | undefined;
  let code: string | undefined;
  for (const metadata of metadatas) {
    const values = record(metadata);
    if (!values) continue;
    click ??= token(values[CLICK_METADATA_KEY]);
    code ??= token(values[REFERRAL_METADATA_KEY]);
  }
  return { click_id: click, referral_code: code };
}

function withAttribution<T extends AffableEventBase>(event: T, attribution: Attribution): T {
  if (attribution.click_id) event.click_id = attribution.click_id;
  if (attribution.referral_code) event.referral_code = attribution.referral_code;
  return event;
}

// ---------------------------------------------------------------------------------------------
// Reading untyped JSON (payload shapes vary by API version, so the SDK's types do not apply)

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/** A Stripe reference: an id string, or the expanded object carrying `id`. */
function idOf(value: unknown): string | undefined {
  return text(value) ?? text(record(value)?.['id']);
}

/** The items of a Stripe list (`{object: 'list', data: [...]}`), objects only. */
function listData(list: Json | undefined): Json[] {
  const data = list?.['data'];
  if (!Array.isArray(data)) return [];
  return data.map(record).filter((entry): entry is Json => entry !== undefined);
}

function token(value: unknown): string | undefined {
  return typeof value === 'string' && TOKEN_PATTERN.test(value) ? value : undefined;
}

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}
