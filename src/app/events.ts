// Billing events (api.md "Events"): idempotent by (program, event id) with a hash of the body,
// stored in the same transaction as the commissions and ledger entries they cause (style §4).
// The engine decides; this file loads the facts it needs and writes what it decided.
import { and, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { executeLast, runsAlone, sendTogether, statementName, type Tx } from '../store/db.js';
import { insertRows, runWrites, selectRows, updateRows, type Bound, type Slot } from '../store/shapes.js';
import { commissions, events, ledgerEntries, payments, programs, refunds, subscriptions, testClocks } from '../store/schema.js';
import { newId, programIds } from '../store/ids.js';
import {
  bindingFrom,
  commissionsForPayment,
  decideAttribution,
  reversalsForRefund,
  type Commission,
  type CreditSource,
  type Interval,
  type LedgerEntry,
  type NoCommissionReason,
  type PaymentFact,
  type RefundFact,
  type SubscriptionFact,
} from '../domain/index.js';
import type { Clock } from './clock.js';
import { AppError, conflict, invalid, notFound } from './errors.js';
import {
  linkOfSource,
  loadAffiliateBook,
  loadSubscriptionEventFacts,
  lockAffiliateBook,
  readSubscription,
  toSubscriptionFact,
  type AffiliateBook,
  type SubscriptionEventFacts,
  type SubscriptionEventQuery,
  type SubscriptionRow,
} from './facts.js';
import { ledgerInserts } from './ledger-store.js';
import { toCommission, toEntry } from '../store/ledger-rows.js';
import { settingsOf, type ProgramRow } from './programs.js';
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
 * Applies one billing event in the caller's transaction, and ends it: its last write commits it
 * (executeLast), so the caller runs nothing after it in `tx`. A second delivery of the same id and
 * body answers the first result with `duplicate: true`; another body under the same id is 422.
 */
export async function ingestEvent(
  tx: Tx,
  clock: Clock,
  input: EventInput,
  bodyHash: string,
  render: (tx: Tx, program: ProgramRow, commissionIds: string[], now: Date, known?: KnownLedger) => Promise<unknown[]>,
): Promise<EventResult> {
  // One statement finds the program and its now, claims the event id (the guard of idempotent
  // ingestion: a unique (program, event id); a concurrent delivery waits on it for the first one's
  // transaction, then reads its answer) and, once claimed, takes the subscription's lock. A refused
  // event rolls the claim back with everything else.
  const recordedAt = clock.now();
  // On PostgreSQL a subscription or payment event's facts statement leaves in the same socket
  // write as the claim, when the program is known from an earlier event (programHints): PostgreSQL
  // runs it once the claim has taken its locks, one round trip fewer. Its parameters are guessed
  // from the hint, so it counts only if they are what the claim's answer makes them (applySubscriptionEvent).
  const alone = runsAlone(tx);
  const plan = alone ? null : factsPlan(input, recordedAt);
  const { sent, handedOver } = sendTogether(
    tx,
    () => [claimEvent(tx, input, bodyHash, recordedAt, alone ? null : locksOf(input)), plan ? loadSubscriptionEventFacts(tx, plan.programId, plan.query) : null] as const,
  );
  const [claimSent, factsSent] = sent;
  // Read only: if the claim fails, this fails too, and the claim's error is the one thrown.
  factsSent?.catch(() => undefined);
  const claim = await claimSent;
  if (!claim) throw notFound('program', input.program);
  const { program } = claim;
  rememberProgram(input.program, program);
  // Both handed over before sendTogether returned: in that order, so the facts ran after the claim.
  const early: EarlyFacts | null = plan && factsSent && handedOver === 2 ? { ...plan, facts: factsSent } : null;
  const now = claim.frozenTime ?? recordedAt;
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
  if (!claim.claimed) {
    // A redelivery claimed nothing and took no lock: the read of the first delivery's answer is the
    // transaction's last statement, and leaves with its COMMIT.
    const { rows } = await executeLast(tx, { sql: FIRST_DELIVERY, params: [program.id, input.id], name: statementName(FIRST_DELIVERY) });
    const first = rows[0] as { body_hash: string; response: unknown } | undefined;
    if (!first) throw new AppError('conflict', 'event_in_flight', 'This event is being processed; retry shortly.');
    if (first.body_hash !== bodyHash) {
      throw invalid('event_id_reused', `Event ${input.id} was already received with a different body; an event id names one event.`, [
        { field: 'id', message: 'already used for a different event' },
      ]);
    }
    return { ...(first.response as EventResult), duplicate: true };
  }

  const at = occurredAt.getTime();
  let outcome: Outcome;
  switch (input.type) {
    case 'subscription.started':
    case 'payment.succeeded':
      outcome = await applySubscriptionEvent(tx, program, input, at, recordedAt, claim.lockedAffiliates, early);
      break;
    case 'payment.refunded':
    case 'payment.disputed':
      outcome = await applyRefund(tx, program, input, at, recordedAt);
      break;
    case 'subscription.canceled':
      outcome = await applyCancel(tx, program, input, occurredAt);
      break;
  }
  // The answer renders from what the event decided when that covers every commission it names;
  // otherwise the writes go first and the answer reads them back.
  const knownIds = new Set(outcome.known?.commissions.map((c) => c.id));
  let writes = outcome.writes;
  if (!outcome.commissionIds.every((id) => knownIds.has(id)) && writes.length > 0) {
    await runWrites(tx, writes);
    writes = [];
  }
  const result: EventResult = {
    id: input.id,
    duplicate: false,
    type: input.type,
    occurred_at: occurredAt.toISOString(),
    commissions: await render(tx, program, outcome.commissionIds, now, outcome.known),
    reasons: [...new Set(outcome.reasons)],
  };
  // Every write of the event (payment, commissions, entries, subscription, refund) and its stored
  // answer, in one statement that also commits the caller's transaction (executeLast).
  writes.push(updateRows(events, { body: redactBody(input), response: result }, { programId: program.id, externalId: input.id }));
  await runWrites(tx, writes, { commits: true });
  return result;
}

/** The first delivery of an event id: its body's hash and its stored answer. */
const FIRST_DELIVERY = 'select body_hash, response from events where program_id = $1 and external_id = $2';

/** The locks an event takes with its claim (none on PGlite, whose transactions run one at a time). */
interface ClaimLocks {
  /** Its events apply one at a time (lockSubscriptionOnly's key). */
  subscription: string;
  /**
   * A payment: the book lock (lockAffiliateBook's key) of every affiliate it may credit (its
   * click's, its code's, the subscription's binding's), so that the next statement may read the
   * tier book (R5.3: one affiliate's payments are priced one at a time).
   */
  affiliatesOf: { clickId: string | null; referralCode: string | null } | null;
}

/** What a claim's answer said about a program: what an event's facts statement needs to leave with the claim. */
interface ProgramHint {
  id: string;
  holdDays: number;
  testClock: boolean;
}

/** Per program slug, from the last claim that found it (programs are few; the map is emptied past 1,000). */
const programHints = new Map<string, ProgramHint>();

function rememberProgram(slug: string, program: ProgramRow): void {
  if (programHints.size >= 1_000 && !programHints.has(slug)) programHints.clear();
  programHints.set(slug, { id: program.id, holdDays: settingsOf(program).holdDays, testClock: program.testClockId !== null });
}

/** A facts statement to send with the claim, and for which program. */
interface FactsPlan {
  programId: string;
  query: SubscriptionEventQuery;
}

/** A FactsPlan sent with the claim, and what it answered. */
interface EarlyFacts extends FactsPlan {
  facts: Promise<SubscriptionEventFacts>;
}

/** The facts statement to send with the claim: the program's id and hold as last seen, the event's instant if the program runs on no test clock. */
function factsPlan(input: EventInput, recordedAt: Date): FactsPlan | null {
  if (input.type !== 'subscription.started' && input.type !== 'payment.succeeded') return null;
  const hint = programHints.get(input.program);
  if (!hint || hint.testClock) return null;
  const query = subscriptionEventQuery(input, (input.occurredAt ?? recordedAt).getTime(), hint.holdDays);
  return query ? { programId: hint.id, query } : null;
}

/**
 * What a subscription or payment event reads (loadSubscriptionEventFacts), for an event at `at` in
 * a program holding commissions `holdDays`; null if the event lacks a field it needs (it is refused).
 */
function subscriptionEventQuery(input: EventInput, at: number, holdDays: number): SubscriptionEventQuery | null {
  const { customer, subscription } = input;
  if (!customer || !subscription) return null;
  const payment = input.type === 'payment.succeeded' ? input.payment : undefined;
  if (input.type === 'payment.succeeded' && payment?.amount === undefined) return null;
  return {
    subscriptionId: subscription.id,
    paymentId: payment?.id ?? null,
    clickId: input.clickId ?? null,
    referralCode: input.referralCode ?? null,
    customerId: customer.id,
    customerEmail: customer.email ?? null,
    book: payment ? { at: new Date(at), holdDays, fingerprint: payment.fingerprint ?? null } : null,
  };
}

/** What an event locks up front: a refund names only its payment, so it locks once it has read it. */
function locksOf(input: EventInput): ClaimLocks | null {
  if (input.type === 'payment.refunded' || input.type === 'payment.disputed' || !input.subscription) return null;
  return {
    subscription: input.subscription.id,
    affiliatesOf: input.type === 'payment.succeeded' ? { clickId: input.clickId ?? null, referralCode: input.referralCode ?? null } : null,
  };
}

interface Claim {
  program: ProgramRow;
  /** The program's test clock, if it runs on one (api.md "Test clocks"). */
  frozenTime: Date | null;
  /** False when the event id was already claimed: this delivery is a redelivery (or a reuse). */
  claimed: boolean;
  /** The affiliates whose book lock the claim took. */
  lockedAffiliates: Set<string>;
}

/**
 * The program, its test clock, and the claim of the event id, in one statement. With `locks`, the
 * locks too, taken only once the id is claimed (a redelivery waits on the claim, never on a lock,
 * so the two never wait on each other), in the order every path takes them: the subscription, then
 * affiliates by id. The binding read here may be older than the subscription's lock; a payment
 * whose credited affiliate was not locked here locks it later (ingestWithRetry retries the rare
 * deadlock that order allows). The claim stores the event's instant: the one it names, else the
 * program's now. Null when no program has the slug.
 */
async function claimEvent(tx: Tx, input: EventInput, bodyHash: string, recordedAt: Date, locks: ClaimLocks | null): Promise<Claim | null> {
  // Three shapes: which locks it takes (selectRows builds each text once).
  const variant = locks ? (locks.affiliatesOf ? 'subscription+affiliates' : 'subscription') : 'none';
  const rows = await selectRows<{ program: ProgramRow; frozenTime: Date | null; claimed: boolean; lockedAffiliates: string[] | string }>(
    tx,
    `claim event, locks: ${variant}`,
    (t, slot) => claimSelect(t, slot, variant),
    {
      eventId: input.id,
      type: input.type,
      bodyHash,
      occurredAt: input.occurredAt?.toISOString() ?? null,
      recorded: recordedAt.toISOString(),
      slug: input.program,
      ...(locks ? { subscription: locks.subscription } : {}),
      ...(locks?.affiliatesOf ? { clickId: locks.affiliatesOf.clickId, referralCode: locks.affiliatesOf.referralCode } : {}),
    },
  );
  const row = rows[0];
  if (!row) return null;
  const locked = typeof row.lockedAffiliates === 'string' ? (JSON.parse(row.lockedAffiliates) as string[]) : row.lockedAffiliates;
  return { program: row.program, frozenTime: row.frozenTime, claimed: row.claimed, lockedAffiliates: new Set(locked) };
}

/** claimEvent's statement: its values are `slot`s, so its text depends only on `variant`. */
function claimSelect(tx: Tx, slot: Slot, variant: 'none' | 'subscription' | 'subscription+affiliates') {
  const claimCte = tx.$with('claim', { programId: sql<string>`program_id` }).as(sql`
    insert into events (program_id, external_id, type, body_hash, body, response, occurred_at, recorded_at)
    select p.id, ${slot('eventId')}, ${slot('type')}, ${slot('bodyHash')}, '{}'::jsonb, '{}'::jsonb,
      coalesce(${slot('occurredAt')}::timestamptz, (select frozen_time from test_clocks where id = p.test_clock_id), ${slot('recorded')}::timestamptz),
      ${slot('recorded')}::timestamptz
    from programs p where p.slug = ${slot('slug')}
    on conflict do nothing
    returning program_id`);
  const affiliateKeys =
    variant === 'subscription+affiliates'
      ? sql`union all
        select 1, 'aff:' || claim.program_id || ':' || c.id, c.id from claim, (
          select affiliate_id as id from clicks where id = ${slot('clickId')}::text
          union select affiliate_id from links where code = ${slot('referralCode')}::text
          union select s.bound_affiliate_id from subscriptions s join claim on s.program_id = claim.program_id
            where s.external_id = ${slot('subscription')}::text and s.bound_affiliate_id is not null
        ) c`
      : sql``;
  // The keys are lockSubscriptionOnly's and lockAffiliateBook's (facts.ts): every path serialises on the same locks.
  const lockCte = tx.$with('locks', { affiliates: sql<string[]>`affiliates` }).as(
    variant !== 'none'
      ? sql`select count(pg_advisory_xact_lock(hashtextextended(k.key, 0))) as n,
            coalesce(json_agg(k.affiliate_id) filter (where k.affiliate_id is not null), '[]'::json) as affiliates
          from (
            select 0 as ord, 'sub:' || program_id || ':' || ${slot('subscription')}::text as key, null::text as affiliate_id from claim
            ${affiliateKeys}
            order by 1, 2
          ) k`
      : sql`select '[]'::json as affiliates`,
  );
  return tx
    .with(claimCte, lockCte)
    .select({
      program: programs,
      frozenTime: testClocks.frozenTime,
      claimed: sql<boolean>`exists (select 1 from claim)`,
      lockedAffiliates: sql<string[] | string>`(select affiliates from locks)`,
    })
    .from(programs)
    .leftJoin(testClocks, eq(testClocks.id, programs.testClockId))
    .where(eq(programs.slug, slot('slug')));
}

/** What applying an event decided: the commissions it names, and the writes that record it. */
interface Outcome {
  commissionIds: string[];
  /** Those commissions with every one of their entries, when the event knows them all. */
  known?: KnownLedger | undefined;
  reasons: NoCommissionReason[];
  /** Each is one shape (src/store/shapes.ts); they run as one statement. */
  writes: Bound[];
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
  lockedAffiliates: Set<string>,
  early: EarlyFacts | null,
): Promise<Outcome> {
  const settings = settingsOf(program);
  const customer = requireField(input.customer, 'customer', input.type);
  const sub = requireField(input.subscription, 'subscription', input.type);
  let paymentInput: NonNullable<EventInput['payment']> | undefined;
  if (input.type === 'payment.succeeded') {
    paymentInput = requireField(input.payment, 'payment', input.type);
    requireField(paymentInput.amount, 'payment.amount', input.type);
  }
  // The claim took the subscription's lock (its events apply one at a time); everything else the
  // decision reads comes in the next statement (bench/events.ts measures it). If it left with the
  // claim, it counts when it asked exactly this of this program; otherwise it is asked now.
  const query = subscriptionEventQuery(input, at, settings.holdDays)!;
  const sameQuestion = early !== null && early.programId === program.id && JSON.stringify(early.query) === JSON.stringify(query);
  const facts = sameQuestion ? await early.facts : await loadSubscriptionEventFacts(tx, program.id, query);
  const stored = facts.subscription;
  const existing = stored ? toSubscriptionFact(stored) : null;
  if (existing && existing.customerId !== customer.id) {
    throw invalid('subscription_customer_mismatch', `Subscription ${sub.id} belongs to customer ${existing.customerId}, not ${customer.id}.`, [
      { field: 'customer.id', message: 'does not own this subscription' },
    ]);
  }
  if (paymentInput && facts.paymentSeen) throw conflict('payment_already_recorded', `Payment ${paymentInput.id} was already recorded by another event.`);
  const subscription: SubscriptionFact = existing ?? {
    id: sub.id,
    customerId: customer.id,
    interval: sub.interval ?? 'month',
    firstEventAt: at,
    canceledAt: null,
    binding: null,
    firstFullPaymentId: null,
  };
  const affiliateFact = (id: string | null | undefined) => (id ? (facts.affiliates.get(id) ?? null) : null);

  const clickId = input.clickId ?? null;
  const referralCode = input.referralCode ?? null;
  const attribution = decideAttribution({
    programId: program.id,
    cookieDays: settings.cookieDays,
    occurredAt: at,
    subscription: existing,
    clickId,
    click: facts.click,
    clickAffiliate: affiliateFact(facts.click?.affiliateId),
    referralCode,
    referral: facts.referral,
    referralAffiliate: affiliateFact(facts.referral?.affiliateId),
  });
  const binding = bindingFrom(attribution);
  let bound: SubscriptionFact = binding ? { ...subscription, binding } : subscription;
  const reasons: NoCommissionReason[] = attribution.credited ? [] : [attribution.reason];
  const writes: Bound[] = [];
  let commissionIds: string[] = [];
  let known: KnownLedger | undefined;

  if (paymentInput) {
    const affiliate = attribution.credited ? affiliateFact(attribution.affiliateId) : null;
    let affiliateBook: AffiliateBook | null = null;
    if (affiliate) {
      // One affiliate's payments are priced one at a time: the tier sales must include every sale
      // before it (R5.3). The facts came with the likely affiliate's sales measured for this
      // payment; they count only if the lock was held before that statement began (the claim's),
      // or on PGlite.
      const locked = runsAlone(tx) || lockedAffiliates.has(affiliate.id);
      if (locked && facts.book?.affiliateId === affiliate.id) {
        affiliateBook = facts.book.book;
      } else {
        if (!locked) await lockAffiliateBook(tx, program.id, affiliate.id);
        affiliateBook = await loadAffiliateBook(tx, program.id, affiliate.id, new Date(at), settings.holdDays, paymentInput.fingerprint ?? null);
      }
    }
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
      recruiter: affiliate ? affiliateFact(affiliate.recruitedBy) : null,
      affiliateSales: affiliateBook?.sales ?? [],
      affiliateFingerprints: affiliateBook?.fingerprints ?? new Set<string>(),
      ids: programIds(program.id),
    });
    if (decision.isFirstFullPayment && bound.firstFullPaymentId === null) bound = { ...bound, firstFullPaymentId: payment.id };
    const linkId = decision.sale && attribution.credited ? await linkOfCreditSource(tx, facts, existing, attribution.source) : null;
    writes.push(
      insertRows(payments, [
        {
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
          payerAffiliateId: facts.payerAffiliateId,
          linkId,
          recordedAt,
        },
      ]),
      ...ledgerInserts(program, decision.commissions, decision.entries, recordedAt),
    );
    commissionIds = decision.commissions.map((c) => c.id);
    // The new commissions have no entries but the ones just appended: the answer renders from them.
    known = { commissions: decision.commissions, entries: decision.entries };
    reasons.push(...decision.reasons);
  }
  writes.push(subscriptionWrite(program.id, stored, bound, customer.email ?? null, recordedAt));
  return { commissionIds, known, reasons, writes };
}

/**
 * R9.1: the link (main or tracking) a credit source came through, for per-link sale counts. The
 * event's facts already hold the click's, the code's and the stored binding's link; anything else
 * (a source none of them names) is read.
 */
async function linkOfCreditSource(tx: Tx, facts: SubscriptionEventFacts, existing: SubscriptionFact | null, source: CreditSource): Promise<string | null> {
  const bindingSource = existing?.binding?.source;
  if (source.type === 'click') {
    if (source.clickId === facts.click?.id) return facts.clickLinkId;
    if (bindingSource?.type === 'click' && bindingSource.clickId === source.clickId) return facts.bindingLinkId;
  }
  if (source.type === 'referral_code') {
    if (source.code === facts.referral?.code) return facts.referralLinkId;
    if (bindingSource?.type === 'referral_code' && bindingSource.code === source.code) return facts.bindingLinkId;
  }
  return linkOfSource(tx, source);
}

function subscriptionWrite(programId: string, stored: SubscriptionRow | null, fact: SubscriptionFact, email: string | null, recordedAt: Date): Bound {
  const values = {
    binding: fact.binding,
    boundAffiliateId: fact.binding?.affiliateId ?? null,
    firstFullPaymentId: fact.firstFullPaymentId,
    canceledAt: fact.canceledAt === null ? null : new Date(fact.canceledAt),
  };
  if (stored) return updateRows(subscriptions, values, { programId, externalId: fact.id });
  return insertRows(subscriptions, [
    {
      programId,
      externalId: fact.id,
      customerId: fact.customerId,
      customerEmail: email,
      interval: fact.interval,
      firstEventAt: new Date(fact.firstEventAt),
      createdAt: recordedAt,
      ...values,
    },
  ]);
}

/** R4.3: a refund or chargeback reverses the payment's commissions (direct and JV) in proportion. */
async function applyRefund(tx: Tx, program: ProgramRow, input: EventInput, at: number, recordedAt: Date): Promise<Outcome> {
  const paymentRef = requireField(input.payment, 'payment', input.type);
  const facts = await loadRefundFacts(tx, program.id, paymentRef.id);
  const row = facts.payment;
  // api.md: a refund or dispute of a payment never seen answers 200 with no commissions.
  if (!row) return { commissionIds: [], reasons: [], writes: [] };
  if (paymentRef.amount !== undefined && paymentRef.amount > row.amount) {
    throw invalid('refund_exceeds_payment', `A refund of ${paymentRef.amount} exceeds payment ${row.externalId} of ${row.amount}.`, [
      { field: 'payment.amount', message: `at most ${row.amount}` },
    ]);
  }
  const refundedSoFar = facts.refunds.reduce((sum, r) => sum + r.amountMinor, 0);
  const remaining = row.amount - refundedSoFar;
  const requested = input.type === 'payment.refunded' && paymentRef.amount !== undefined ? paymentRef.amount : remaining;
  const amount = Math.min(requested, remaining);
  const affected = facts.commissions;
  const commissionIds = affected.map((c) => c.id);
  // Already fully refunded: nothing more to take back (and the entries just read are the ledger's, in its order).
  if (amount <= 0) return { commissionIds, known: { commissions: affected, entries: facts.entries }, reasons: [], writes: [] };
  const reversals = reversalsForRefund({
    commissions: affected,
    entries: facts.entries,
    paymentAmountMinor: row.amount,
    cumulativeRefundedMinor: refundedSoFar + amount,
    at,
    reason: input.type === 'payment.disputed' ? 'dispute' : 'refund',
    ids: programIds(program.id),
  });
  const refund = insertRows(refunds, [
    {
      id: newId('rfd'),
      programId: program.id,
      paymentId: row.externalId,
      kind: input.type === 'payment.disputed' ? 'dispute' : 'refund',
      amount,
      at: new Date(at),
      createdAt: recordedAt,
      // The payment's, as the database sets it on insert whatever is given (drizzle/0010).
      saleAffiliateId: row.saleAffiliateId,
    },
  ]);
  // The answer reads the entries back after the writes: the ledger orders entries that share an
  // instant by when they were recorded and their id, which only the database knows for the old
  // ones. A refund writes no commission row, so the commissions read before still hold. The read
  // leaves with the writes and runs after them.
  const writes = [refund, ...ledgerInserts(program, [], reversals, recordedAt, affected)];
  const values = { programId: program.id, paymentId: row.externalId };
  const [, entries] = await inOrder(tx, [() => runWrites(tx, writes), () => paymentEntries(tx, values)]);
  return { commissionIds, known: { commissions: affected, entries }, reasons: [], writes: [] };
}

/** What a refund reads: its payment, the refunds before it, and the payment's commissions and entries. */
interface RefundFacts {
  payment: typeof payments.$inferSelect | null;
  refunds: RefundFact[];
  commissions: Commission[];
  entries: LedgerEntry[];
}

/**
 * A refund's facts, in one round trip on PostgreSQL. The first statement reads the payment and
 * takes its subscription's lock (lockSubscriptionOnly's key, as the claim takes it for the other
 * events of the subscription). The reads after it leave in the same write but run after it, each
 * as of its own start (READ COMMITTED), so they see every event of the subscription committed
 * before the lock was granted, as reads sent after waiting for it would.
 */
async function loadRefundFacts(tx: Tx, programId: string, paymentId: string): Promise<RefundFacts> {
  const values = { programId, paymentId };
  const alone = runsAlone(tx);
  const reads = [
    () =>
      selectRows<typeof payments.$inferSelect>(tx, alone ? 'refund: payment' : 'refund: payment, locked', (t, slot) =>
        t
          .select(
            alone
              ? getTableColumns(payments)
              : { ...getTableColumns(payments), locked: sql`pg_advisory_xact_lock(hashtextextended('sub:' || ${payments.programId} || ':' || ${payments.subscriptionId}, 0))` },
          )
          .from(payments)
          .where(and(eq(payments.programId, slot('programId')), eq(payments.externalId, slot('paymentId')))),
      values),
    () =>
      selectRows<{ amount: number; at: Date }>(
        tx,
        'refund: refunds before',
        (t, slot) =>
          t
            .select({ amount: refunds.amount, at: refunds.at })
            .from(refunds)
            .where(and(eq(refunds.programId, slot('programId')), eq(refunds.paymentId, slot('paymentId'))))
            .orderBy(refunds.at, refunds.createdAt),
        values,
      ),
    () =>
      selectRows<typeof commissions.$inferSelect>(
        tx,
        'refund: commissions',
        (t, slot) =>
          t
            .select()
            .from(commissions)
            .where(and(eq(commissions.programId, slot('programId')), eq(commissions.paymentId, slot('paymentId'))))
            .orderBy(commissions.createdAt, commissions.id),
        values,
      ),
    () => paymentEntries(tx, values),
  ] as const;
  const [payment, before, rows, entries] = await inOrder(tx, reads);
  return {
    payment: payment[0] ?? null,
    refunds: before.map((r) => ({ amountMinor: r.amount, at: r.at.getTime() })),
    commissions: rows.map(toCommission),
    entries,
  };
}

/**
 * Runs `statements` in the order given and answers their results. On PostgreSQL they leave
 * together (sendTogether) and run one after the other; if one fails, the ones after it fail too
 * (the transaction is aborted), and the first failure is thrown. On PGlite, which runs one
 * transaction at a time and takes no lock, each runs after the one before has answered.
 */
async function inOrder<T extends readonly unknown[]>(tx: Tx, statements: { readonly [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  const results: unknown[] = [];
  if (runsAlone(tx)) {
    for (const run of statements) results.push(await run());
    return results as unknown as T;
  }
  const { sent } = sendTogether(tx, () => statements.map((run) => run()));
  for (const later of sent.slice(1)) later.catch(() => undefined);
  for (const answer of sent) results.push(await answer);
  return results as unknown as T;
}

/** A payment's ledger entries, in the ledger's order (entriesOf's), by program and payment id. */
function paymentEntries(tx: Tx, values: { programId: string; paymentId: string }): Promise<LedgerEntry[]> {
  return selectRows<typeof ledgerEntries.$inferSelect>(
    tx,
    'refund: entries of the payment',
    (t, slot) =>
      t
        .select()
        .from(ledgerEntries)
        .where(
          inArray(
            ledgerEntries.commissionId,
            t
              .select({ id: commissions.id })
              .from(commissions)
              .where(and(eq(commissions.programId, slot('programId')), eq(commissions.paymentId, slot('paymentId')))),
          ),
        )
        .orderBy(ledgerEntries.at, ledgerEntries.createdAt, ledgerEntries.id),
    values,
  ).then((rows) => rows.map(toEntry));
}

async function applyCancel(tx: Tx, program: ProgramRow, input: EventInput, occurredAt: Date): Promise<Outcome> {
  const sub = requireField(input.subscription, 'subscription', input.type);
  // The claim took the subscription's lock.
  const stored = await readSubscription(tx, program.id, sub.id);
  // A cancellation of a subscription never seen changes nothing: merchants send every billing event.
  if (!stored || stored.canceledAt) return { commissionIds: [], reasons: [], writes: [] };
  const cancel = updateRows(subscriptions, { canceledAt: occurredAt }, { programId: program.id, externalId: sub.id });
  return { commissionIds: [], reasons: [], writes: [cancel] };
}
