// Loads the domain's facts for one event from the database (the app-layer twin of the replay's
// in-memory FactStore in src/domain/engine.ts). Every function reads through the transaction.
import { and, eq, gte, inArray, or, sql } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { affiliates, applications, clicks, links, payments, refunds, subscriptions } from '../store/schema.js';
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
} from '../domain/index.js';

/** An affiliate as seen from one program: their latest application there is the enrolment (R1.1). */
export async function loadAffiliateFact(tx: Tx, programId: string, affiliateId: string | null | undefined): Promise<AffiliateFact | null> {
  if (!affiliateId) return null;
  const rows = await tx
    .select({
      id: affiliates.id,
      email: affiliates.email,
      customerId: affiliates.customerId,
      recruitedBy: affiliates.recruitedBy,
      status: applications.status,
      decidedAt: applications.decidedAt,
      dismissedAt: applications.dismissedAt,
    })
    .from(affiliates)
    .leftJoin(applications, and(eq(applications.affiliateId, affiliates.id), eq(applications.programId, programId)))
    .where(eq(affiliates.id, affiliateId))
    .orderBy(sql`${applications.createdAt} desc nulls last`)
    .limit(1);
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    email: row.email,
    customerId: row.customerId,
    recruitedBy: row.recruitedBy,
    enrolment: row.status
      ? {
          status: row.status as EnrolmentStatus,
          approvedAt: row.status === 'approved' || row.status === 'dismissed' ? (row.decidedAt?.getTime() ?? null) : null,
          dismissedAt: row.dismissedAt?.getTime() ?? null,
        }
      : null,
  };
}

export async function loadClickFact(tx: Tx, clickId: string | null): Promise<ClickFact | null> {
  if (!clickId) return null;
  const rows = await tx.select().from(clicks).innerJoin(links, eq(links.id, clicks.linkId)).where(eq(clicks.id, clickId));
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.clicks.id,
    affiliateId: row.clicks.affiliateId,
    programId: row.clicks.programId,
    linkId: row.links.kind === 'tracking' ? row.links.id : null,
    clickedAt: row.clicks.clickedAt.getTime(),
    isBot: row.clicks.isBot,
  };
}

/** api.md `referral_code`: an affiliate's main or tracking link code (a JV code never credits a sale). */
export async function loadReferralFact(tx: Tx, code: string | null): Promise<ReferralCodeFact | null> {
  if (!code) return null;
  const rows = await tx.select().from(links).where(eq(links.code, code));
  const row = rows[0];
  if (!row || row.kind === 'jv') return null;
  return { code: row.code, affiliateId: row.affiliateId, programId: row.programId, linkId: row.kind === 'tracking' ? row.id : null };
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

/** The subscription row, locked for the rest of the transaction so its events apply one at a time. */
export async function lockSubscription(tx: Tx, programId: string, subscriptionId: string): Promise<SubscriptionRow | null> {
  await advisoryLock(tx, `sub:${programId}:${subscriptionId}`);
  const rows = await tx
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.programId, programId), eq(subscriptions.externalId, subscriptionId)));
  return rows[0] ?? null;
}

/**
 * Serialises work on one key until the transaction ends (an affiliate's tier book, a
 * subscription's events). PostgreSQL advisory locks; PGlite has a single connection anyway.
 */
export async function advisoryLock(tx: Tx, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

/** How far back a sale can still count for a tier: 12 calendar months plus the hold, with a day to spare. */
function salesHorizon(at: Date, holdDays: number): Date {
  const d = new Date(at.getTime());
  d.setUTCMonth(d.getUTCMonth() - 12);
  return new Date(d.getTime() - (holdDays + 1) * 86_400_000);
}

/** R5.1: an affiliate's sales that may still count at `at`, with their refunds, as a SalesBook. */
export async function loadSalesBook(tx: Tx, programId: string, affiliateId: string, at: Date, holdDays: number): Promise<SalesBook> {
  const inBook = and(eq(payments.programId, programId), eq(payments.saleAffiliateId, affiliateId), gte(payments.paidAt, salesHorizon(at, holdDays)));
  const rows = await tx
    .select({ paymentId: payments.externalId, customerId: payments.customerId, amount: payments.amount, paidAt: payments.paidAt })
    .from(payments)
    .where(inBook);
  // The refunds of those sales by a join, not by listing their ids: a query of constant size
  // however many sales the affiliate has (an IN list of every id grew with each sale).
  const refundsByPayment = new Map<string, RefundFact[]>();
  if (rows.length > 0) {
    const refundRows = await tx
      .select({ paymentId: refunds.paymentId, amount: refunds.amount, at: refunds.at })
      .from(refunds)
      .innerJoin(payments, and(eq(payments.programId, refunds.programId), eq(payments.externalId, refunds.paymentId)))
      .where(and(eq(refunds.programId, programId), inBook))
      .orderBy(refunds.at, refunds.createdAt);
    for (const r of refundRows) refundsByPayment.set(r.paymentId, [...(refundsByPayment.get(r.paymentId) ?? []), { amountMinor: r.amount, at: r.at.getTime() }]);
  }
  const sales: SaleFact[] = rows.map((r) => ({
    paymentId: r.paymentId,
    customerId: r.customerId,
    amountMinor: r.amount,
    paidAt: r.paidAt.getTime(),
    refunds: [...(refundsByPayment.get(r.paymentId) ?? [])],
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

/** R4.5: the affiliate who is this customer (by their own customer id or normalised email), if any. */
export async function findPayerAffiliate(tx: Tx, customerId: string, customerEmail: string | null): Promise<string | null> {
  const conditions = [eq(affiliates.customerId, customerId)];
  if (customerEmail) conditions.push(eq(affiliates.email, normaliseEmail(customerEmail)));
  const rows = await tx.select({ id: affiliates.id }).from(affiliates).where(or(...conditions)).limit(1);
  return rows[0]?.id ?? null;
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
