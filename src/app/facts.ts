// Loads the domain's facts for one event from the database (the app-layer twin of the replay's
// in-memory FactStore in src/domain/engine.ts). Every function reads through the transaction.
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { executePrepared, runsAlone, type Tx } from '../store/db.js';
import { clicks, links, payments, refunds, subscriptions } from '../store/schema.js';
import {
  normaliseEmail,
  SalesBook,
  type AffiliateFact,
  type Binding,
  type ClickFact,
  type CreditSource,
  type EnrolmentStatus,
  type Interval,
  type ReferralCodeFact,
  type RefundFact,
  type SaleFact,
  type SubscriptionFact,
  tierWindow,
  type Instant,
  type MeasuredSales,
  type TierTotals,
  type TierWindow,
} from '../domain/index.js';

/**
 * The SQL of affiliate facts for the ids `ids` yields (a subquery of one `id` column): each row is
 * the affiliate with their latest application in the program, which is the enrolment (R1.1).
 * One fragment, used alone (loadAffiliateFacts) and inside an event's single read of its facts.
 */
function affiliateFactsSql(programId: string, ids: SQL): SQL {
  return sql`select a.id, a.email, a.customer_id, a.recruited_by, ap.status, ap.decided_at, ap.dismissed_at
    from affiliates a
    left join lateral (
      select status, decided_at, dismissed_at from applications
      where applications.affiliate_id = a.id and applications.program_id = ${programId}
      order by created_at desc limit 1
    ) ap on true
    where a.id in (${ids})`;
}

/** One row of affiliateFactsSql as JSON (timestamps as ISO text). */
interface AffiliateFactJson {
  id: string;
  email: string;
  customer_id: string | null;
  recruited_by: string | null;
  status: string | null;
  decided_at: string | null;
  dismissed_at: string | null;
}

const instantOf = (text: string | null): number | null => (text === null ? null : Date.parse(text));

function toAffiliateFact(row: AffiliateFactJson): AffiliateFact {
  return {
    id: row.id,
    email: row.email,
    customerId: row.customer_id,
    recruitedBy: row.recruited_by,
    enrolment: row.status
      ? {
          status: row.status as EnrolmentStatus,
          approvedAt: row.status === 'approved' || row.status === 'dismissed' ? instantOf(row.decided_at) : null,
          dismissedAt: instantOf(row.dismissed_at),
        }
      : null,
  };
}

/**
 * Runs a query whose single row holds one json column `doc` (drivers agree on JSON; bigint text
 * would not), as a named prepared statement (executePrepared): these queries are few and fixed.
 */
async function jsonDoc<T>(tx: Tx, query: SQL): Promise<T> {
  const result = (await executePrepared(tx, sql`select (${query}) as doc`)) as { rows: Array<{ doc: unknown }> };
  const doc = result.rows[0]?.doc;
  return (typeof doc === 'string' ? JSON.parse(doc) : doc) as T;
}

/** Affiliates as seen from one program, by id, in one query. */
export async function loadAffiliateFacts(tx: Tx, programId: string, ids: readonly string[]): Promise<Map<string, AffiliateFact>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const rows = await jsonDoc<AffiliateFactJson[] | null>(
    tx,
    sql`select coalesce(json_agg(f), '[]'::json) from (${affiliateFactsSql(programId, sql`select unnest(${sql.param(wanted)}::text[])`)}) f`,
  );
  return new Map((rows ?? []).map((row) => [row.id, toAffiliateFact(row)]));
}

/** An affiliate as seen from one program: their latest application there is the enrolment (R1.1). */
export async function loadAffiliateFact(tx: Tx, programId: string, affiliateId: string | null | undefined): Promise<AffiliateFact | null> {
  if (!affiliateId) return null;
  return (await loadAffiliateFacts(tx, programId, [affiliateId])).get(affiliateId) ?? null;
}

/** What a subscription or payment event needs to read, asked in one query (bench/events.ts). */
export interface SubscriptionEventQuery {
  subscriptionId: string;
  /** payment.succeeded: its id, to refuse a payment recorded by another event. */
  paymentId: string | null;
  clickId: string | null;
  referralCode: string | null;
  customerId: string;
  customerEmail: string | null;
  /**
   * payment.succeeded: also measure, for a payment at `at` (R5.3), the tier sales of the affiliate
   * the event most likely credits (the stored binding's, else the click's, else the code's), and
   * whether `fingerprint` is on a payment they made themselves (R4.5). It is only good to price the
   * payment if the transaction held that affiliate's lock before this statement began.
   */
  book: { at: Date; holdDays: number; fingerprint: string | null } | null;
}

export interface SubscriptionEventFacts {
  /** The stored subscription (read after its lock: lockSubscriptionOnly first). */
  subscription: SubscriptionRow | null;
  paymentSeen: boolean;
  click: ClickFact | null;
  /** The link the click went through (main or tracking), for per-link sale counts (R9.1). */
  clickLinkId: string | null;
  referral: ReferralCodeFact | null;
  referralLinkId: string | null;
  /** The link of the stored binding's source, for a rebill's per-link sale count. */
  bindingLinkId: string | null;
  /** The affiliate who is this customer (R4.5), if any. */
  payerAffiliateId: string | null;
  /** Facts of every affiliate the event may credit (click's, code's, binding's) and of their recruiters. */
  affiliates: Map<string, AffiliateFact>;
  /** What `book` asked for, and whose it is. */
  book: { affiliateId: string; book: AffiliateBook } | null;
}

interface SubscriptionEventJson {
  subscription: {
    external_id: string;
    customer_id: string;
    customer_email: string | null;
    interval: string;
    first_event_at: string;
    canceled_at: string | null;
    binding: Binding | null;
    bound_affiliate_id: string | null;
    first_full_payment_id: string | null;
    created_at: string;
  } | null;
  payment_seen: boolean;
  click: { id: string; affiliate_id: string; program_id: string; link_id: string; link_kind: string; clicked_at: string; is_bot: boolean } | null;
  referral: { id: string; code: string; affiliate_id: string; program_id: string; kind: string } | null;
  binding_link_id: string | null;
  payer_affiliate_id: string | null;
  affiliates: AffiliateFactJson[];
  book_affiliate_id: string | null;
  book: AffiliateBookJson | null;
}

/**
 * Every read of a subscription or payment event in one round trip: the subscription (the caller
 * holds its lock), whether the payment exists, the click and the referral code (a JV code never
 * credits), the payer (R4.5: the affiliate who is this customer, by customer id or normalised
 * email), the facts of the affiliates involved and, for a payment, the likely affiliate's tier book.
 */
export async function loadSubscriptionEventFacts(tx: Tx, programId: string, q: SubscriptionEventQuery): Promise<SubscriptionEventFacts> {
  const email = q.customerEmail ? normaliseEmail(q.customerEmail) : null;
  const book = q.book ? { window: tierWindow(q.book.at.getTime(), q.book.holdDays, true), fingerprint: q.book.fingerprint } : null;
  const bookSql = book ? affiliateBookSql(programId, sql`(select id from likely)`, book.window, book.fingerprint) : sql`null`;
  const doc = await jsonDoc<SubscriptionEventJson>(
    tx,
    sql`with sub as (
        select * from subscriptions where program_id = ${programId} and external_id = ${q.subscriptionId}
      ), clk as (
        select c.id, c.affiliate_id, c.program_id, c.link_id, l.kind as link_kind, c.clicked_at, c.is_bot
        from clicks c join links l on l.id = c.link_id where c.id = ${q.clickId}
      ), ref as (
        select id, code, affiliate_id, program_id, kind from links where code = ${q.referralCode}
      ), candidates as (
        select affiliate_id as id from clk union select affiliate_id from ref union select bound_affiliate_id from sub where bound_affiliate_id is not null
      ), involved as (
        select id from candidates union select a.recruited_by from affiliates a join candidates using (id) where a.recruited_by is not null
      ), likely as (
        select coalesce((select bound_affiliate_id from sub), (select affiliate_id from clk), (select affiliate_id from ref where kind <> 'jv')) as id
      )
      select json_build_object(
        'subscription', (select row_to_json(sub) from sub),
        'payment_seen', exists (select 1 from payments where program_id = ${programId} and external_id = ${q.paymentId}),
        'click', (select row_to_json(clk) from clk),
        'referral', (select row_to_json(ref) from ref),
        'binding_link_id', (
          select case binding->'source'->>'type'
            when 'click' then (select link_id from clicks where id = binding->'source'->>'clickId')
            when 'referral_code' then (select id from links where code = binding->'source'->>'code')
          end from sub
        ),
        'payer_affiliate_id', (select id from affiliates where customer_id = ${q.customerId} or email = ${email} limit 1),
        'affiliates', coalesce((select json_agg(f) from (${affiliateFactsSql(programId, sql`select id from involved`)}) f), '[]'::json),
        'book_affiliate_id', (select id from likely),
        'book', case when (select id from likely) is not null then ${bookSql} end
      )`,
  );
  const s = doc.subscription;
  const subscription: SubscriptionRow | null = s
    ? {
        programId,
        externalId: s.external_id,
        customerId: s.customer_id,
        customerEmail: s.customer_email,
        interval: s.interval,
        firstEventAt: new Date(s.first_event_at),
        canceledAt: s.canceled_at === null ? null : new Date(s.canceled_at),
        binding: s.binding,
        boundAffiliateId: s.bound_affiliate_id,
        firstFullPaymentId: s.first_full_payment_id,
        createdAt: new Date(s.created_at),
      }
    : null;
  const c = doc.click;
  const r = doc.referral;
  return {
    subscription,
    paymentSeen: doc.payment_seen,
    click: c
      ? { id: c.id, affiliateId: c.affiliate_id, programId: c.program_id, linkId: c.link_kind === 'tracking' ? c.link_id : null, clickedAt: Date.parse(c.clicked_at), isBot: c.is_bot }
      : null,
    clickLinkId: c?.link_id ?? null,
    // api.md `referral_code`: a JV code never credits a sale.
    referral: r && r.kind !== 'jv' ? { code: r.code, affiliateId: r.affiliate_id, programId: r.program_id, linkId: r.kind === 'tracking' ? r.id : null } : null,
    referralLinkId: r && r.kind !== 'jv' ? r.id : null,
    bindingLinkId: doc.binding_link_id,
    payerAffiliateId: doc.payer_affiliate_id,
    affiliates: new Map(doc.affiliates.map((row) => [row.id, toAffiliateFact(row)])),
    book: book && doc.book && doc.book_affiliate_id ? { affiliateId: doc.book_affiliate_id, book: toAffiliateBook(doc.book, book.window, book.fingerprint) } : null,
  };
}

export type SubscriptionRow = typeof subscriptions.$inferSelect;

export function toSubscriptionFact(row: SubscriptionRow): SubscriptionFact {
  return {
    id: row.externalId,
    customerId: row.customerId,
    interval: row.interval as Interval,
    firstEventAt: row.firstEventAt.getTime(),
    canceledAt: row.canceledAt?.getTime() ?? null,
    binding: (row.binding as Binding | null) ?? null,
    firstFullPaymentId: row.firstFullPaymentId,
  };
}

/** The subscription row, for a caller that already holds its lock. */
export async function readSubscription(tx: Tx, programId: string, subscriptionId: string): Promise<SubscriptionRow | null> {
  const rows = await tx
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.programId, programId), eq(subscriptions.externalId, subscriptionId)));
  return rows[0] ?? null;
}

/** The subscription's lock without its row (the caller reads the row in its next statement). */
export async function lockSubscriptionOnly(tx: Tx, programId: string, subscriptionId: string): Promise<void> {
  await advisoryLock(tx, `sub:${programId}:${subscriptionId}`);
}

/** Serialises the pricing of one affiliate's payments: their tier book includes every sale before (R5.3). */
export async function lockAffiliateBook(tx: Tx, programId: string, affiliateId: string): Promise<void> {
  await advisoryLock(tx, `aff:${programId}:${affiliateId}`);
}

/**
 * Serialises work on one key until the transaction ends (an affiliate's tier book, a
 * subscription's events). PostgreSQL advisory locks; PGlite has a single connection anyway.
 */
export async function advisoryLock(tx: Tx, key: string): Promise<void> {
  if (runsAlone(tx)) return; // PGlite: one transaction at a time already
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

/** How far back a sale can still count for a tier: 12 calendar months plus the hold, with a day to spare. */
function salesHorizon(at: Date, holdDays: number): Date {
  const d = new Date(at.getTime());
  d.setUTCMonth(d.getUTCMonth() - 12);
  return new Date(d.getTime() - (holdDays + 1) * 86_400_000);
}

/**
 * What pricing one payment needs of the credited affiliate (R5.3, R4.5): their tier sales measured
 * for the payment's window, and the payment's fingerprint if it is on a payment they made
 * themselves (`detectSelfReferral` asks only whether the set has it).
 */
export interface AffiliateBook {
  sales: MeasuredSales;
  fingerprints: Set<string>;
}

interface AffiliateBookJson {
  revenue: string;
  customers: number;
  fingerprint_seen: boolean;
}

/**
 * R5.1/R5.2 `SalesBook.measure` in SQL, as one row (revenue as text, customers): the affiliate's
 * sales paid within `window` (an index range on payments_sale_affiliate), each netted of its
 * refunds up to `window.refundsThrough`; a sale whose net is not positive counts for nothing,
 * customer included. However many sales an affiliate has, one row crosses to Node. `affiliate` is
 * an SQL expression of their id (a parameter, or a subquery inside an event's facts).
 * statements.test.ts proves it equal to the domain over the whole book.
 *
 * The refunds are the affiliate's own (each carries its sale's affiliate: refunds_sale_affiliate,
 * drizzle/0010), never the program's, summed per payment into one JSON object that each sale
 * looks itself up in. There is no join for a plan to get wrong: the sales were once joined to
 * their refunds, and the generic plan of the prepared statement, made for an affiliate's hundred
 * sales, took 23 s a payment for a seller with 30k (bench/big-seller.ts).
 */
export function tierTotalsSql(programId: string, affiliate: SQL, window: TierWindow): SQL {
  // The domain compares whole milliseconds and timestamptz keeps microseconds that the drivers
  // truncate on reading (loadSalesBook truncates too), so "after t" is "from t's next
  // millisecond on" and "at most t" is "before t's next millisecond".
  const nextMs = (at: Instant) => sql`${new Date(at + 1).toISOString()}::timestamptz`;
  return sql`with refunded as materialized (
      select coalesce(jsonb_object_agg(payment_id, amount), '{}'::jsonb) as by_payment from (
        select payment_id, sum(amount) as amount from refunds
        where program_id = ${programId} and sale_affiliate_id = ${affiliate} and at < ${nextMs(window.refundsThrough)}
        group by payment_id
      ) r
    ), sales as (
      select customer_id, amount - coalesce(((select by_payment from refunded) ->> external_id)::bigint, 0) as net from payments
      where program_id = ${programId} and sale_affiliate_id = ${affiliate}
        and paid_at >= ${nextMs(window.paidAfter)} and paid_at < ${nextMs(window.paidThrough)}
    ), customers as (
      select customer_id, sum(net) as revenue from sales where net > 0 group by customer_id
    )
    select coalesce(sum(revenue), 0)::text as revenue, count(*)::int as customers from customers`;
}

/** tierTotalsSql's row as the domain's totals: bigint sums arrive as text so that both drivers agree; money stays below 2^53 minor units. */
export function toTierTotals(row: { revenue: string; customers: number }): TierTotals {
  return { revenueMinor: Number(row.revenue), customers: Number(row.customers) };
}

/** An AffiliateBook as one JSON expression (see tierTotalsSql for `affiliate`). */
function affiliateBookSql(programId: string, affiliate: SQL, window: TierWindow, fingerprint: string | null): SQL {
  return sql`(select json_build_object(
      'revenue', t.revenue, 'customers', t.customers,
      'fingerprint_seen', ${fingerprint}::text is not null and exists (
        select 1 from payments where program_id = ${programId} and payer_affiliate_id = ${affiliate} and fingerprint = ${fingerprint}::text
      )
    ) from (${tierTotalsSql(programId, affiliate, window)}) t)`;
}

function toAffiliateBook(doc: AffiliateBookJson, window: TierWindow, fingerprint: string | null): AffiliateBook {
  return { sales: { window, totals: toTierTotals(doc) }, fingerprints: new Set(doc.fingerprint_seen && fingerprint !== null ? [fingerprint] : []) };
}

/** What pricing a payment at `at` with `fingerprint` needs of one affiliate (AffiliateBook), for a caller holding lockAffiliateBook. */
export async function loadAffiliateBook(tx: Tx, programId: string, affiliateId: string, at: Date, holdDays: number, fingerprint: string | null): Promise<AffiliateBook> {
  const window = tierWindow(at.getTime(), holdDays, true);
  return toAffiliateBook(await jsonDoc<AffiliateBookJson>(tx, affiliateBookSql(programId, sql`${affiliateId}`, window, fingerprint)), window, fingerprint);
}

/** Columns as arrays: a big seller's book is tens of thousands of sales, and JSON objects per row cost several times more. */
interface SalesBookJson {
  sale_ids: string[];
  sale_customers: string[];
  sale_amounts: number[];
  sale_paid_ms: number[];
  refund_payments: string[];
  refund_amounts: number[];
  refund_at_ms: number[];
}

/** Epoch milliseconds of a timestamptz, truncated as a Date read by either driver truncates microseconds. */
const epochMs = (column: SQL) => sql`trunc(extract(epoch from ${column}) * 1000)::bigint`;
/** Refunds in the order they happened (a unique key last), each column array in the same order, so that index i is one refund. */
const refundOrder = sql`order by at, created_at, id`;

/**
 * R5.1: an affiliate's sales that may still count at `at`, with their refunds, as a SalesBook (a
 * reassignment reprices several payments at several instants; the tests use it as the oracle of
 * tierTotalsSql). Refunds are the affiliate's own, by the sale affiliate each carries (drizzle/0010),
 * with no join: those of sales older than the horizon come along and are left out here.
 * The sales' four columns are aggregated by one aggregation over one scan, so their arrays share
 * its row order, whatever it is (SalesBook.from takes sales in any order): no sort. Four sorts by
 * id, one per column, made a reassignment into a seller with 30k sales 58 ms slower
 * (bench/big-seller.ts, PostgreSQL: p50 133 -> 75 ms).
 */
export async function loadSalesBook(tx: Tx, programId: string, affiliateId: string, at: Date, holdDays: number): Promise<SalesBook> {
  const doc = await jsonDoc<SalesBookJson>(
    tx,
    sql`with sale_refunds as (
      select id, payment_id, amount, at, created_at from refunds where program_id = ${programId} and sale_affiliate_id = ${affiliateId}
    )
    select json_build_object(
      'sale_ids', coalesce(s.ids, '[]'::json),
      'sale_customers', coalesce(s.customers, '[]'::json),
      'sale_amounts', coalesce(s.amounts, '[]'::json),
      'sale_paid_ms', coalesce(s.paid_ms, '[]'::json),
      'refund_payments', coalesce((select json_agg(payment_id ${refundOrder}) from sale_refunds), '[]'::json),
      'refund_amounts', coalesce((select json_agg(amount ${refundOrder}) from sale_refunds), '[]'::json),
      'refund_at_ms', coalesce((select json_agg(${epochMs(sql`at`)} ${refundOrder}) from sale_refunds), '[]'::json)
    ) from (
      select json_agg(external_id) as ids, json_agg(customer_id) as customers, json_agg(amount) as amounts, json_agg(${epochMs(sql`paid_at`)}) as paid_ms
      from payments
      where program_id = ${programId} and sale_affiliate_id = ${affiliateId} and paid_at >= ${salesHorizon(at, holdDays).toISOString()}::timestamptz
    ) s`,
  );
  const refundsByPayment = new Map<string, RefundFact[]>();
  doc.refund_payments.forEach((paymentId, i) => {
    const list = refundsByPayment.get(paymentId) ?? [];
    list.push({ amountMinor: doc.refund_amounts[i]!, at: doc.refund_at_ms[i]! });
    refundsByPayment.set(paymentId, list);
  });
  const sales: SaleFact[] = doc.sale_ids.map((paymentId, i) => ({
    paymentId,
    customerId: doc.sale_customers[i]!,
    amountMinor: doc.sale_amounts[i]!,
    paidAt: doc.sale_paid_ms[i]!,
    refunds: [...(refundsByPayment.get(paymentId) ?? [])],
  }));
  return SalesBook.from(sales);
}

export async function loadRefunds(tx: Tx, programId: string, paymentIds: string[]): Promise<Map<string, RefundFact[]>> {
  const map = new Map<string, RefundFact[]>();
  if (paymentIds.length === 0) return map;
  const rows = await tx
    .select({ paymentId: refunds.paymentId, amount: refunds.amount, at: refunds.at })
    .from(refunds)
    .where(and(eq(refunds.programId, programId), inArray(refunds.paymentId, paymentIds)))
    .orderBy(refunds.at, refunds.createdAt);
  for (const r of rows) map.set(r.paymentId, [...(map.get(r.paymentId) ?? []), { amountMinor: r.amount, at: r.at.getTime() }]);
  return map;
}

/** R4.5: fingerprints seen on payments the affiliate made themselves. */
export async function loadFingerprints(tx: Tx, programId: string, affiliateId: string): Promise<Set<string>> {
  const rows = await tx
    .selectDistinct({ fingerprint: payments.fingerprint })
    .from(payments)
    .where(and(eq(payments.programId, programId), eq(payments.payerAffiliateId, affiliateId)));
  return new Set(rows.map((r) => r.fingerprint).filter((f): f is string => f !== null));
}

/**
 * R9.1: the link (main or tracking) that a credit source came through, for per-link sale counts.
 * The domain names only tracking links (`linkId` is null for the main link), so this reads the row.
 */
export async function linkOfSource(tx: Tx, source: CreditSource): Promise<string | null> {
  if (source.type === 'click') {
    const rows = await tx.select({ linkId: clicks.linkId }).from(clicks).where(eq(clicks.id, source.clickId));
    return rows[0]?.linkId ?? null;
  }
  if (source.type === 'referral_code') {
    const rows = await tx.select({ id: links.id }).from(links).where(eq(links.code, source.code));
    return rows[0]?.id ?? null;
  }
  return null;
}
