// What one received payment earns (R4, R5, R6): the credited affiliate's direct commission at their
// tier (R5.3), the recruiter's JV commission (R6), or nothing, with the reason.
import { detectSelfReferral, isApproved, type Attribution } from './attribution.js';
import type { AffiliateFact, PaymentFact, SaleFact, SubscriptionFact } from './facts.js';
import { deterministicIds, earnEntry, type Commission, type CommissionBasis, type IdSource, type LedgerEntry } from './ledger.js';
import { applyRateBps, assertAmount } from './money.js';
import type { ProgramSettings } from './program.js';
import { tierForPayment, type TierSales, type TierStanding } from './tiers.js';
import { addDays, assertInstant } from './time.js';

/** Why a payment earned (part of) nothing. Kept for explanations and the event's answer. */
export type NoCommissionReason =
  | 'not_full_price' // R4.1: a trial or discounted payment is not a sale
  | 'not_attributed' // R2.2: no qualifying click or code, and no binding
  | 'subscription_canceled' // R3.1
  | 'affiliate_not_approved' // R1.2: the credited affiliate is dismissed (or otherwise not approved)
  | 'agency_owned' // R3.3: the credited affiliate owns the customer's account
  | 'rate_zero' // R5.7: e.g. a referral-tier rebill
  | 'amount_rounds_to_zero' // R5.7: a payment too small to earn a whole minor unit
  | 'self_referral' // R4.5: recorded as a rejected commission, no JV (R6.4)
  | 'no_recruiter' // R6: nobody recruited the affiliate
  | 'recruiter_not_approved' // R6.1: the recruiter is not approved in this program
  | 'jv_off'; // R6.1: the program's jv rate is 0

export interface PaymentInput {
  settings: ProgramSettings;
  payment: PaymentFact;
  /** The subscription with this event's binding already applied (see `bindingFrom`). */
  subscription: SubscriptionFact;
  attribution: Attribution;
  /** The credited affiliate (null when not attributed). */
  affiliate: AffiliateFact | null;
  /** The credited affiliate's recruiter in this program, when `affiliate.recruitedBy` is set. */
  recruiter: AffiliateFact | null;
  /**
   * The credited affiliate's sales recorded before this payment (R5.1), as rows, a book, or
   * measured by the store for `tierWindow(payment.paidAt, holdDays, true)`.
   */
  affiliateSales: TierSales;
  /** R4.5: fingerprints seen on payments made by the credited affiliate themselves. */
  affiliateFingerprints: ReadonlySet<string>;
  ids?: IdSource;
  /** Appended to id seeds so a commission re-created by a reassignment (R3.2) gets a fresh id. */
  seedSuffix?: string;
}

export interface PaymentDecision {
  /** 0–2 commissions: the direct one (active or rejected) and the JV one. */
  commissions: Commission[];
  /** Earn entries of the active commissions, to append with them. */
  entries: LedgerEntry[];
  /** R5.1: the sale to add to the credited affiliate's book, or null when it is not their sale. */
  sale: SaleFact | null;
  /** Whether this is the subscription's first full-price payment (store it as `firstFullPaymentId`). */
  isFirstFullPayment: boolean;
  /** The standing the direct commission was priced at (R5.3); null when none was evaluated. */
  standing: TierStanding | null;
  /** Why the direct commission, the JV commission, or both were not created. */
  reasons: NoCommissionReason[];
}

/** R5.1: the sale record of a credited full-price payment. @example saleOf(payment).refunds.length === 0 */
export function saleOf(payment: Pick<PaymentFact, 'id' | 'customerId' | 'amountMinor' | 'paidAt'>): SaleFact {
  return { paymentId: payment.id, customerId: payment.customerId, amountMinor: payment.amountMinor, paidAt: payment.paidAt, refunds: [] };
}

/**
 * Decides what a received payment earns.
 * - R4.1/R5.7: a trial or discounted payment earns nothing and creates nothing.
 * - R3.1/R1.2/R3.3: nothing when not attributed, on a cancelled subscription, when the credited
 *   affiliate is dismissed, or when they own the customer's account (agency sub-account).
 * - R4.5: a self-referral creates a `rejected` commission of 0 with reason `self_referral`, and no JV (R6.4).
 * - R5/R5.3: otherwise the rate is the plan's first or recurring rate for the interval, at the tier
 *   from sales that counted strictly before the payment; a 0 rate creates no commission (R5.7).
 * - R6.1/R6.2: the recruiter (one level only) earns jv_rate of the payment on every full-price
 *   payment credited to the recruit, rate-0 rebills included, when approved in the program.
 * @example commissionsForPayment({ settings, payment, subscription, attribution, affiliate, recruiter: null, affiliateSales: [], affiliateFingerprints: new Set() })
 */
export function commissionsForPayment(input: PaymentInput): PaymentDecision {
  const { settings, payment, subscription, attribution } = input;
  assertAmount(payment.amountMinor, 'payment.amountMinor');
  assertInstant(payment.paidAt, 'payment.paidAt');
  const ids = input.ids ?? deterministicIds;
  const isFirstFullPayment = payment.fullPrice && (subscription.firstFullPaymentId === null || subscription.firstFullPaymentId === payment.id);
  const nothing = (reasons: NoCommissionReason[], standing: TierStanding | null = null): PaymentDecision => ({
    commissions: [],
    entries: [],
    sale: null,
    isFirstFullPayment,
    standing,
    reasons,
  });

  if (!payment.fullPrice) return nothing(['not_full_price']);
  if (!attribution.credited) return nothing([attribution.reason]);
  const affiliate = input.affiliate;
  if (!affiliate || affiliate.id !== attribution.affiliateId) return nothing(['not_attributed']);
  // R1.2: a dismissed affiliate's bound subscriptions earn it nothing, and nothing flows to its recruiter.
  if (!isApproved(affiliate)) return nothing(['affiliate_not_approved']);
  // R3.3 (reading): an agency-owned sub-account is not a sale at all: no commission, no JV, no tier credit.
  if (payment.accountOwnedByAffiliateId !== null && payment.accountOwnedByAffiliateId === affiliate.id) return nothing(['agency_owned']);

  const standing = tierForPayment(input.affiliateSales, payment.paidAt, settings.plan, settings.holdDays);
  const rates = standing.tier.rates[subscription.interval];
  const rateBps = isFirstFullPayment ? rates.firstBps : rates.recurringBps;
  const suffix = input.seedSuffix ?? '';
  const dueAt = addDays(payment.paidAt, settings.holdDays);
  const binding = subscription.binding;
  const basis = (rateKind: CommissionBasis['rateKind'], recruitAffiliateId: string | null, signals: CommissionBasis['selfReferralSignals']): CommissionBasis => ({
    source: attribution.source,
    // A reassignment re-creates commissions as a new binding; later rebills follow it as 'existing'.
    binding: attribution.binding === 'new' && attribution.source.type === 'reassignment' ? 'reassignment' : attribution.binding,
    boundAt: binding?.boundAt ?? attribution.boundAt,
    interval: subscription.interval,
    rateKind,
    paymentAmountMinor: payment.amountMinor,
    tier: { key: standing.tier.key, trailingRevenueMinor: standing.trailingRevenueMinor, distinctCustomers: standing.distinctCustomers },
    recruitAffiliateId,
    selfReferralSignals: signals,
  });
  const common = {
    paymentId: payment.id,
    subscriptionId: subscription.id,
    customerId: payment.customerId,
    earnedAt: payment.paidAt,
    dueAt,
  };

  const signals = detectSelfReferral(affiliate, payment, input.affiliateFingerprints);
  if (signals) {
    // R4.5: flagged and visible to admins, worth nothing; it is not a sale for the tier either.
    const rejected: Commission = {
      ...common,
      id: ids.commission(`${payment.id}.direct.${affiliate.id}${suffix}`),
      kind: 'direct',
      affiliateId: affiliate.id,
      amountMinor: 0,
      rateBps,
      tierKey: standing.tier.key,
      status: 'rejected',
      reason: 'self_referral',
      sourceCommissionId: null,
      basis: basis(isFirstFullPayment ? 'first' : 'recurring', null, signals),
    };
    return { commissions: [rejected], entries: [], sale: null, isFirstFullPayment, standing, reasons: ['self_referral'] };
  }

  const commissions: Commission[] = [];
  const reasons: NoCommissionReason[] = [];
  let direct: Commission | null = null;
  const amountMinor = applyRateBps(payment.amountMinor, rateBps);
  if (rateBps === 0) reasons.push('rate_zero');
  else if (amountMinor === 0) reasons.push('amount_rounds_to_zero');
  else {
    direct = {
      ...common,
      id: ids.commission(`${payment.id}.direct.${affiliate.id}${suffix}`),
      kind: 'direct',
      affiliateId: affiliate.id,
      amountMinor,
      rateBps,
      tierKey: standing.tier.key,
      status: 'active',
      reason: null,
      sourceCommissionId: null,
      basis: basis(isFirstFullPayment ? 'first' : 'recurring', null, []),
    };
    commissions.push(direct);
  }

  const recruiter = input.recruiter;
  if (affiliate.recruitedBy === null) reasons.push('no_recruiter');
  else if (settings.jvRateBps === 0) reasons.push('jv_off');
  else if (!recruiter || recruiter.id !== affiliate.recruitedBy || recruiter.id === affiliate.id || !isApproved(recruiter)) reasons.push('recruiter_not_approved');
  else {
    // R6.1: the base is the payment amount, whatever the recruit's own rate; R6.2: never the recruiter's recruiter.
    const jvAmount = applyRateBps(payment.amountMinor, settings.jvRateBps);
    if (jvAmount === 0) reasons.push('amount_rounds_to_zero');
    else {
      commissions.push({
        ...common,
        id: ids.commission(`${payment.id}.jv.${recruiter.id}${suffix}`),
        kind: 'jv',
        affiliateId: recruiter.id,
        amountMinor: jvAmount,
        rateBps: settings.jvRateBps,
        tierKey: null,
        status: 'active',
        reason: null,
        sourceCommissionId: direct?.id ?? null,
        basis: basis('jv', affiliate.id, []),
      });
    }
  }
  return {
    commissions,
    entries: commissions.map((commission) => earnEntry(commission, ids)),
    sale: saleOf(payment),
    isFirstFullPayment,
    standing,
    reasons,
  };
}
