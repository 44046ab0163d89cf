// Builders shared by the domain tests (not part of the public API): a fake calendar, Kartra's
// settings, and terse event constructors so scenarios read like the rules.
import type { CustomerRef, History, HistoryAffiliate, HistoryEvent, ReplayResult } from './engine.js';
import type { Commission, LedgerEntry } from './ledger.js';
import type { Interval, Plan } from './plan.js';
import { DEFAULT_PLAN } from './plan.js';
import type { ProgramSettings } from './program.js';
import { DAY_MS, type Instant } from './time.js';

/** An instant from an ISO string (UTC when no zone is given). @example t('2027-01-03') */
export function t(iso: string): Instant {
  const withZone = /[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : iso.length === 10 ? `${iso}T00:00:00Z` : `${iso}Z`;
  const at = Date.parse(withZone);
  if (Number.isNaN(at)) throw new Error(`bad test instant ${iso}`);
  return at;
}

export const days = (count: number): number => count * DAY_MS;

export function kartra(overrides: Partial<ProgramSettings> = {}): ProgramSettings {
  return { cookieDays: 30, holdDays: 45, refundDays: 30, jvRateBps: 1000, currency: 'usd', plan: DEFAULT_PLAN, ...overrides };
}

export function history(affiliates: HistoryAffiliate[], events: HistoryEvent[], program: ProgramSettings = kartra()): History {
  return { programId: 'kartra', program, affiliates, events };
}

export function affiliate(id: string, extra: Partial<HistoryAffiliate> = {}): HistoryAffiliate {
  return { id, email: `${id}@aff.test`, referralCode: `code_${id}`, ...extra };
}

export const customer = (id: string, email: string | null = `${id}@cust.test`): CustomerRef => ({ id, email });

export function click(id: string, affiliateId: string, at: Instant, extra: Partial<Extract<HistoryEvent, { type: 'click' }>> = {}): HistoryEvent {
  return { type: 'click', id, affiliateId, at, ...extra };
}

export function started(subscriptionId: string, customerId: string, at: Instant, extra: Partial<Extract<HistoryEvent, { type: 'subscription.started' }>> = {}): HistoryEvent {
  return { type: 'subscription.started', subscriptionId, customer: customer(customerId), at, ...extra };
}

type PaymentExtra = Partial<Extract<HistoryEvent, { type: 'payment.succeeded' }>>;

/** A full-price payment on `subscriptionId` by customer `cus_<subscriptionId>` unless overridden. */
export function paid(paymentId: string, subscriptionId: string, amountMinor: number, at: Instant, extra: PaymentExtra = {}): HistoryEvent {
  return { type: 'payment.succeeded', paymentId, subscriptionId, customer: customer(`cus_${subscriptionId}`), interval: 'month' as Interval, amountMinor, at, ...extra };
}

export const refunded = (paymentId: string, at: Instant, amountMinor?: number): HistoryEvent =>
  amountMinor === undefined ? { type: 'payment.refunded', paymentId, at } : { type: 'payment.refunded', paymentId, at, amountMinor };
export const disputed = (paymentId: string, at: Instant): HistoryEvent => ({ type: 'payment.disputed', paymentId, at });
export const canceled = (subscriptionId: string, at: Instant): HistoryEvent => ({ type: 'subscription.canceled', subscriptionId, at });
export const dismissed = (affiliateId: string, at: Instant): HistoryEvent => ({ type: 'dismiss', affiliateId, at });
export const reassign = (subscriptionId: string, affiliateId: string, at: Instant): HistoryEvent => ({ type: 'reassign', subscriptionId, affiliateId, at });
export const payoutRun = (month: string, at: Instant, failAffiliateIds: string[] = []): HistoryEvent => ({ type: 'payout.run', month, at, failAffiliateIds });

/** A plan with one flat tier, handy when a test is about something other than tiers. */
export function flatPlan(rateBps: number): Plan {
  return { tiers: [{ key: 'flat', name: 'Flat', minCustomers: 0, revenueAbove: null, rates: { month: { firstBps: rateBps, recurringBps: rateBps }, year: { firstBps: rateBps, recurringBps: rateBps } } }] };
}


/** The commissions a replay created for one payment, optionally of one kind. */
export function commissionsOn(result: ReplayResult, paymentId: string, kind?: Commission['kind']): Commission[] {
  return result.commissions.filter((commission) => commission.paymentId === paymentId && (kind === undefined || commission.kind === kind));
}

/** The single commission of `kind` on a payment; fails the test when there is not exactly one. */
export function only(result: ReplayResult, paymentId: string, kind: Commission['kind'] = 'direct'): Commission {
  const found = commissionsOn(result, paymentId, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} commission on ${paymentId}, found ${found.length}`);
  return found[0] as Commission;
}

export function entriesFor(result: ReplayResult, commissionId: string): LedgerEntry[] {
  return result.entries.filter((entry) => entry.commissionId === commissionId);
}

export function ofAffiliate(result: ReplayResult, affiliateId: string): Commission[] {
  return result.commissions.filter((commission) => commission.affiliateId === affiliateId);
}
