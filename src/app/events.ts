// Billing events (api.md "Events"): idempotent by (program, event id) with a hash of the body,
// stored in the same transaction as the commissions and ledger entries they cause (style §4).
// The engine decides; this file loads the facts it needs and writes what it decided.
import { and, eq } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { events, payments, refunds, subscriptions } from '../store/schema.js';
import { newId, programIds } from '../store/ids.js';
import {
  bindingFrom,
  commissionsForPayment,
  decideAttribution,
  reversalsForRefund,
  type AffiliateFact,
  type Commission,
  type Interval,
  type NoCommissionReason,
  type PaymentFact,
  type SubscriptionFact,
} from '../domain/index.js';
import type { Clock } from './clock.js';
import { AppError, conflict, invalid } from './errors.js';
import {
  advisoryLock,
  findPayerAffiliate,
  loadAffiliateFact,
  loadClickFact,
  loadFingerprints,
  loadReferralFact,
  loadRefunds,
  loadSalesBook,
  linkOfSource,
  lockSubscription,
  toSubscriptionFact,
  type SubscriptionRow,
} from './facts.js';
import { appendLedger, commissionsOfPayments, entriesOf } from './ledger-store.js';
import { findProgram, settingsOf, type ProgramRow } from './programs.js';
import { programNow } from './test-clocks.js';
import type { KnownLedger } from './statements.js';

export type EventType = 'subscription.started' | 'payment.succeeded' | 'payment.refunded' | 'payment.disputed' | 'subscription.canceled';

export interface EventInput {
  id: string;
  type: EventType;
  program: string;
  occurredAt?: Date | undefined;
  customer?: { id: string; email?: string | null | undefined; accountOwnedByAffiliateId?: string | undefined } | undefined;
  subscription?: { id: string; interval?: Interval | undefined } | undefined;
  payment?: { id: string; amount?: number | undefined; currency?: string | undefined; fullPrice?: boolean | undefined; fingerprint?: string | undefined } | undefined;
  clickId?: string | undefined;
  referralCode?: string | undefined;
}

export interface EventResult {
  id: string;
  duplicate: boolean;
  type: EventType;
  occurred_at: string;
  /** The commissions this event created or changed, as the read API renders them. */
  commissions: unknown[];
  /** Why the payment earned nothing (or only part), in the engine's words. */
  reasons: string[];
}

/** api.md: events more than 5 minutes ahead of the program's now are refused. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Applies one billing event in the caller's transaction. A second delivery of the same id and
 * body answers the first result with `duplicate: true`; another body under the same id is 422.
 */
export async function ingestEvent(
  tx: Tx,
  clock: Clock,
  input: EventInput,
  bodyHash: string,
  render: (tx: Tx, program: ProgramRow, commissionIds: string[], now: Date, known?: KnownLedger) => Promise<unknown[]>,
): Promise<EventResult> {
  const program = await findProgram(tx, input.program);
  const now = await programNow(tx, program, clock);
  const occurredAt = input.occurredAt ?? now;
  if (occurredAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    throw invalid('event_in_future', `occurred_at ${occurredAt.toISOString()} is more than 5 minutes after the program's now (${now.toISOString()}).`, [
      { field: 'occurred_at', message: 'more than 5 minutes in the future of the program’s clock' },
    ]);
  }
  if (input.payment?.currency !== undefined && input.payment.currency !== program.currency) {
    throw invalid('currency_mismatch', `This program is in ${program.currency}; the payment is in ${input.payment.currency}.`, [
      { field: 'payment.currency', message: `must be ${program.currency}` },
    ]);
  }

  // The guard of idempotent ingestion: a unique (program, event id). A concurrent delivery waits
  // here for the first one's transaction and then reads its answer.
  const recordedAt = clock.now();
  const claimed = await tx
    .insert(events)
    .values({ programId: program.id, externalId: input.id, type: input.type, bodyHash, body: {}, response: {}, occurredAt, recordedAt })
    .onConflictDoNothing()
    .returning({ id: events.externalId });
  if (claimed.length === 0) {
    const first = (await tx.select().from(events).where(and(eq(events.programId, program.id), eq(events.externalId, input.id))))[0];
    if (!first) throw new AppError('conflict', 'event_in_flight', 'This event is being processed; retry shortly.');
    if (first.bodyHash !== bodyHash) {
      throw invalid('event_id_reused', `Event ${input.id} was already received with a different body; an event id names one event.`, [
        { field: 'id', message: 'already used for a different event' },
      ]);
    }
    return { ...(first.response as EventResult), duplicate: true };
  }

  const at = occurredAt.getTime();
  let touched: string[] = [];
  let known: KnownLedger | undefined;
  let reasons: NoCommissionReason[] = [];
  switch (input.type) {
    case 'subscription.started':
    case 'payment.succeeded': {
      const outcome = await applySubscriptionEvent(tx, program, input, at, recordedAt);
      touched = outcome.commissionIds;
      known = outcome.known;
      reasons = outcome.reasons;
      break;
    }
    case 'payment.refunded':
    case 'payment.disputed':
      touched = await applyRefund(tx, program, input, at, recordedAt);
      break;
    case 'subscription.canceled':
      await applyCancel(tx, program, input, occurredAt);
      break;
  }
  const result: EventResult = {
    id: input.id,
    duplicate: false,
    type: input.type,
    occurred_at: occurredAt.toISOString(),
    commissions: await render(tx, program, touched, now, known),
    reasons: [...new Set(reasons)],
  };
  await tx
    .update(events)
    .set({ body: redactBody(input), response: result })
    .where(and(eq(events.programId, program.id), eq(events.externalId, input.id)));
  return result;
}

function redactBody(input: EventInput): Record<string, unknown> {
  return { ...input, occurredAt: input.occurredAt?.toISOString() };
}

function requireField<T>(value: T | undefined, field: string, type: string): T {
  if (value === undefined) throw invalid('event_field_missing', `A ${type} event needs "${field}".`, [{ field, message: `required for ${type}` }]);
  return value;
}

async function applySubscriptionEvent(
  tx: Tx,
  program: ProgramRow,
  input: EventInput,
  at: number,
  recordedAt: Date,
): Promise<{ commissionIds: string[]; known?: KnownLedger; reasons: NoCommissionReason[] }> {
  const settings = settingsOf(program);
  // The same affiliate is often asked for twice (the click's and the attribution's): one read.
  const affiliateFacts = new Map<string, Promise<AffiliateFact | null>>();
  const affiliateFact = (id: string | null | undefined) => {
    if (!id) return Promise.resolve(null);
    let fact = affiliateFacts.get(id);
    if (!fact) {
      fact = loadAffiliateFact(tx, program.id, id);
      affiliateFacts.set(id, fact);
    }
    return fact;
  };
  const customer = requireField(input.customer, 'customer', input.type);
  const sub = requireField(input.subscription, 'subscription', input.type);
  const stored = await lockSubscription(tx, program.id, sub.id);
  const existing = stored ? toSubscriptionFact(stored) : null;
  if (existing && existing.customerId !== customer.id) {
    throw invalid('subscription_customer_mismatch', `Subscription ${sub.id} belongs to customer ${existing.customerId}, not ${customer.id}.`, [
      { field: 'customer.id', message: 'does not own this subscription' },
    ]);
  }
  const subscription: SubscriptionFact = existing ?? {
    id: sub.id,
    customerId: customer.id,
    interval: sub.interval ?? 'month',
    firstEventAt: at,
    canceledAt: null,
    binding: null,
    firstFullPaymentId: null,
  };

  let paymentInput: NonNullable<EventInput['payment']> | undefined;
  if (input.type === 'payment.succeeded') {
    paymentInput = requireField(input.payment, 'payment', input.type);
    requireField(paymentInput.amount, 'payment.amount', input.type);
    const seen = await tx
      .select({ id: payments.externalId })
      .from(payments)
      .where(and(eq(payments.programId, program.id), eq(payments.externalId, paymentInput.id)));
    if (seen.length > 0) throw conflict('payment_already_recorded', `Payment ${paymentInput.id} was already recorded by another event.`);
  }

  const clickId = input.clickId ?? null;
  const referralCode = input.referralCode ?? null;
  const click = await loadClickFact(tx, clickId);
  const referral = await loadReferralFact(tx, referralCode);
  const attribution = decideAttribution({
    programId: program.id,
    cookieDays: settings.cookieDays,
    occurredAt: at,
    subscription: existing,
    clickId,
    click,
    clickAffiliate: await affiliateFact(click?.affiliateId),
    referralCode,
    referral,
    referralAffiliate: await affiliateFact(referral?.affiliateId),
  });
  const binding = bindingFrom(attribution);
  let bound: SubscriptionFact = binding ? { ...subscription, binding } : subscription;
  const reasons: NoCommissionReason[] = attribution.credited ? [] : [attribution.reason];
  let commissionIds: string[] = [];
  let known: KnownLedger | undefined;

  if (paymentInput) {
    const affiliate = attribution.credited ? await affiliateFact(attribution.affiliateId) : null;
    // One affiliate's payments are priced one at a time: the tier book must include every sale before it (R5.3).
    if (affiliate) await advisoryLock(tx, `aff:${program.id}:${affiliate.id}`);
    const payment: PaymentFact = {
      id: paymentInput.id,
      subscriptionId: subscription.id,
      customerId: customer.id,
      customerEmail: customer.email ?? null,
      amountMinor: paymentInput.amount!,
      paidAt: at,
      fullPrice: paymentInput.fullPrice ?? true,
      fingerprint: paymentInput.fingerprint ?? null,
      accountOwnedByAffiliateId: customer.accountOwnedByAffiliateId ?? null,
    };
    const decision = commissionsForPayment({
      settings,
      payment,
      subscription: bound,
      attribution,
      affiliate,
      recruiter: affiliate ? await affiliateFact(affiliate.recruitedBy) : null,
      affiliateSales: affiliate ? await loadSalesBook(tx, program.id, affiliate.id, new Date(at), settings.holdDays) : [],
      affiliateFingerprints: affiliate ? await loadFingerprints(tx, program.id, affiliate.id) : new Set<string>(),
      ids: programIds(program.id),
    });
    if (decision.isFirstFullPayment && bound.firstFullPaymentId === null) bound = { ...bound, firstFullPaymentId: payment.id };
    const linkId = decision.sale && attribution.credited ? await linkOfSource(tx, attribution.source) : null;
    await tx.insert(payments).values({
      programId: program.id,
      externalId: payment.id,
      subscriptionId: subscription.id,
      customerId: payment.customerId,
      customerEmail: payment.customerEmail,
      amount: payment.amountMinor,
      currency: program.currency,
      fullPrice: payment.fullPrice,
      fingerprint: payment.fingerprint,
      accountOwnedByAffiliateId: payment.accountOwnedByAffiliateId,
      paidAt: new Date(at),
      saleAffiliateId: decision.sale && affiliate ? affiliate.id : null,
      payerAffiliateId: await findPayerAffiliate(tx, payment.customerId, payment.customerEmail),
      linkId,
      recordedAt,
    });
    await appendLedger(tx, program, decision.commissions, decision.entries, recordedAt);
    commissionIds = decision.commissions.map((c) => c.id);
    // The new commissions have no entries but the ones just appended: the answer renders from them.
    known = { commissions: decision.commissions, entries: decision.entries };
    reasons.push(...decision.reasons);
  }
  await saveSubscription(tx, program.id, stored, bound, customer.email ?? null, recordedAt);
  return { commissionIds, known, reasons };
}

async function saveSubscription(tx: Tx, programId: string, stored: SubscriptionRow | null, fact: SubscriptionFact, email: string | null, recordedAt: Date): Promise<void> {
  const values = {
    binding: fact.binding,
    boundAffiliateId: fact.binding?.affiliateId ?? null,
    firstFullPaymentId: fact.firstFullPaymentId,
    canceledAt: fact.canceledAt === null ? null : new Date(fact.canceledAt),
  };
  if (stored) {
    await tx.update(subscriptions).set(values).where(and(eq(subscriptions.programId, programId), eq(subscriptions.externalId, fact.id)));
    return;
  }
  await tx.insert(subscriptions).values({
    programId,
    externalId: fact.id,
    customerId: fact.customerId,
    customerEmail: email,
    interval: fact.interval,
    firstEventAt: new Date(fact.firstEventAt),
    createdAt: recordedAt,
    ...values,
  });
}

/** R4.3: a refund or chargeback reverses the payment's commissions (direct and JV) in proportion. */
async function applyRefund(tx: Tx, program: ProgramRow, input: EventInput, at: number, recordedAt: Date): Promise<string[]> {
  const paymentRef = requireField(input.payment, 'payment', input.type);
  const row = (await tx.select().from(payments).where(and(eq(payments.programId, program.id), eq(payments.externalId, paymentRef.id))))[0];
  // api.md: a refund or dispute of a payment never seen answers 200 with no commissions.
  if (!row) return [];
  await lockSubscription(tx, program.id, row.subscriptionId);
  if (paymentRef.amount !== undefined && paymentRef.amount > row.amount) {
    throw invalid('refund_exceeds_payment', `A refund of ${paymentRef.amount} exceeds payment ${row.externalId} of ${row.amount}.`, [
      { field: 'payment.amount', message: `at most ${row.amount}` },
    ]);
  }
  const previous = (await loadRefunds(tx, program.id, [row.externalId])).get(row.externalId) ?? [];
  const refundedSoFar = previous.reduce((sum, r) => sum + r.amountMinor, 0);
  const remaining = row.amount - refundedSoFar;
  const requested = input.type === 'payment.refunded' && paymentRef.amount !== undefined ? paymentRef.amount : remaining;
  const amount = Math.min(requested, remaining);
  const affected = await commissionsOfPayments(tx, program.id, [row.externalId]);
  if (amount <= 0) return affected.map((c) => c.id); // already fully refunded: nothing more to take back
  await tx.insert(refunds).values({
    id: newId('rfd'),
    programId: program.id,
    paymentId: row.externalId,
    kind: input.type === 'payment.disputed' ? 'dispute' : 'refund',
    amount,
    at: new Date(at),
    createdAt: recordedAt,
  });
  const reversals = reversalsForRefund({
    commissions: affected,
    entries: await entriesOf(tx, affected.map((c) => c.id)),
    paymentAmountMinor: row.amount,
    cumulativeRefundedMinor: refundedSoFar + amount,
    at,
    reason: input.type === 'payment.disputed' ? 'dispute' : 'refund',
    ids: programIds(program.id),
  });
  await appendLedger(tx, program, [] as Commission[], reversals, recordedAt);
  return affected.map((c) => c.id);
}

async function applyCancel(tx: Tx, program: ProgramRow, input: EventInput, occurredAt: Date): Promise<void> {
  const sub = requireField(input.subscription, 'subscription', input.type);
  const stored = await lockSubscription(tx, program.id, sub.id);
  // A cancellation of a subscription never seen changes nothing: merchants send every billing event.
  if (!stored || stored.canceledAt) return;
  await tx
    .update(subscriptions)
    .set({ canceledAt: occurredAt })
    .where(and(eq(subscriptions.programId, program.id), eq(subscriptions.externalId, sub.id)));
}
