// R3.2: within 30 days of a subscription's first event (trial included) an admin may credit it to
// another affiliate. The old affiliate's commissions on it (and their recruiter's JV) are reversed
// by new entries; the new affiliate's are created at their tier at each original payment time,
// with JV for their own recruiter. Both sides stay in the ledger.
import type { Attribution } from './attribution.js';
import { isApproved } from './attribution.js';
import { commissionsForPayment } from './commissions.js';
import { DomainError } from './errors.js';
import type { AffiliateFact, CreditSource, PaymentFact, RefundFact, SaleFact, SubscriptionFact } from './facts.js';
import { deterministicIds, reversalsForRefund, reverseRemaining, type Commission, type IdSource, type LedgerEntry } from './ledger.js';
import type { ProgramSettings } from './program.js';
import { SalesBook } from './tiers.js';
import { DAY_MS, isoOf, type Instant } from './time.js';

/** R3.2: the customer's window, counted from the subscription's first event. */
export const REASSIGNMENT_WINDOW_DAYS = 30;

export interface ReassignmentInput {
  settings: ProgramSettings;
  subscription: SubscriptionFact;
  /** When the admin reassigns (the program's now). */
  at: Instant;
  reason: string;
  newAffiliate: AffiliateFact;
  /** The new affiliate's recruiter, for JV (R6). */
  newRecruiter: AffiliateFact | null;
  /** Every payment of the subscription. */
  payments: readonly PaymentFact[];
  /** Refunds and chargebacks recorded so far, by payment id. */
  refunds: ReadonlyMap<string, readonly RefundFact[]>;
  /** Every commission on the subscription's payments, whoever holds it, and their entries. */
  commissions: readonly Commission[];
  entries: readonly LedgerEntry[];
  /** The new affiliate's sales, without this subscription's payments (R5.1). */
  newAffiliateSales: readonly SaleFact[] | SalesBook;
  /** R4.5: fingerprints seen on the new affiliate's own payments. */
  newAffiliateFingerprints: ReadonlySet<string>;
  ids?: IdSource;
}

export interface ReassignmentDecision {
  /** The subscription, bound to the new affiliate from now on (R3.1). */
  subscription: SubscriptionFact;
  /** Reversals of whatever was left of the old commissions (R4.3 style: new entries, never edits). */
  reversals: LedgerEntry[];
  /** The new commissions, their earn entries, and reversals of refunds already known. */
  commissions: Commission[];
  entries: LedgerEntry[];
  /** Sales to take out of the previous affiliate's book (by payment id) and to add to the new one's. */
  removedSalePaymentIds: string[];
  newSales: SaleFact[];
}

/**
 * R3.2: decides a reassignment. Throws `reassignment_window_closed` after the window,
 * `affiliate_not_approved` when the new affiliate is not approved in the program, and
 * `reassignment_same_affiliate` when nothing would change.
 * **(reading)** The window is half-open: `at < firstEventAt + 30 × 24 h`.
 * @example decideReassignment({ settings, subscription, at: now, reason: 'customer asked', newAffiliate, newRecruiter: null, payments, refunds: new Map(), commissions, entries, newAffiliateSales: [], newAffiliateFingerprints: new Set() })
 */
export function decideReassignment(input: ReassignmentInput): ReassignmentDecision {
  const { subscription, at, newAffiliate, settings } = input;
  const ids = input.ids ?? deterministicIds;
  const closesAt = subscription.firstEventAt + REASSIGNMENT_WINDOW_DAYS * DAY_MS;
  if (at >= closesAt) {
    throw new DomainError(
      'reassignment_window_closed',
      `Subscription ${subscription.id} can be reassigned only within ${REASSIGNMENT_WINDOW_DAYS} days of its first event; the window closed at ${isoOf(closesAt)}.`,
      { subscriptionId: subscription.id, firstEventAt: subscription.firstEventAt, closesAt },
    );
  }
  if (!isApproved(newAffiliate)) {
    throw new DomainError('affiliate_not_approved', `Affiliate ${newAffiliate.id} is not approved in this program.`, { affiliateId: newAffiliate.id }, 'affiliate_id');
  }
  const previous = subscription.binding?.affiliateId ?? null;
  if (previous === newAffiliate.id) {
    throw new DomainError('reassignment_same_affiliate', `Subscription ${subscription.id} is already credited to ${newAffiliate.id}.`, { subscriptionId: subscription.id }, 'affiliate_id');
  }

  const paymentIds = new Set(input.payments.map((payment) => payment.id));
  const onThisSubscription = input.commissions.filter((commission) => paymentIds.has(commission.paymentId));
  const reversals = reverseRemaining(onThisSubscription, input.entries, at, input.reason, ids);

  const source: CreditSource = { type: 'reassignment', fromAffiliateId: previous, reason: input.reason };
  const rebound: SubscriptionFact = { ...subscription, binding: { affiliateId: newAffiliate.id, boundAt: at, source } };
  const attribution: Attribution = { credited: true, affiliateId: newAffiliate.id, source, binding: 'new', boundAt: at, ignoredClickId: null };
  const book = input.newAffiliateSales instanceof SalesBook ? input.newAffiliateSales.clone() : SalesBook.from(input.newAffiliateSales);
  const commissions: Commission[] = [];
  const entries: LedgerEntry[] = [];
  const newSales: SaleFact[] = [];
  const removedSalePaymentIds: string[] = [];
  const ordered = [...input.payments].sort((a, b) => a.paidAt - b.paidAt || (a.id < b.id ? -1 : 1));
  for (const payment of ordered) {
    if (!payment.fullPrice) continue;
    // R3.1: payments after the cancellation earned nothing before and earn nothing now.
    if (subscription.canceledAt !== null && payment.paidAt >= subscription.canceledAt) continue;
    removedSalePaymentIds.push(payment.id);
    const decision = commissionsForPayment({
      settings,
      payment,
      subscription: rebound,
      attribution,
      affiliate: newAffiliate,
      recruiter: input.newRecruiter,
      affiliateSales: book,
      affiliateFingerprints: input.newAffiliateFingerprints,
      ids,
      seedSuffix: `.r${at}`,
    });
    commissions.push(...decision.commissions);
    entries.push(...decision.entries);
    if (decision.sale) {
      const refunds = [...(input.refunds.get(payment.id) ?? [])].sort((a, b) => a.at - b.at);
      const sale: SaleFact = { ...decision.sale, refunds: refunds.map((refund) => ({ ...refund })) };
      book.add(sale);
      newSales.push(sale);
      // Refunds already recorded reverse the new commissions too, each at its own time.
      let cumulative = 0;
      for (const refund of refunds) {
        cumulative += refund.amountMinor;
        entries.push(
          ...reversalsForRefund({
            commissions: decision.commissions,
            entries,
            paymentAmountMinor: payment.amountMinor,
            cumulativeRefundedMinor: cumulative,
            at: Math.max(refund.at, payment.paidAt),
            reason: 'refund',
            ids,
          }),
        );
      }
    }
  }
  return { subscription: rebound, reversals, commissions, entries, removedSalePaymentIds, newSales };
}
