// Who is credited for an event: R2.2 last click in the cookie window, R2.3 the click id passed
// server-side, api.md's referral code fallback, R3.1 the lifetime binding, R4.5 self-referral.
import type { AffiliateFact, Binding, ClickFact, CreditSource, PaymentFact, ReferralCodeFact, SubscriptionFact } from './facts.js';
import { DAY_MS, type Instant } from './time.js';
import { normaliseEmail } from './usernames.js';

/** Why a click id did not qualify (api.md "Events": unknown, expired, another program's, dismissed). */
export type ClickRejection = 'click_unknown' | 'click_other_program' | 'click_bot' | 'click_after_event' | 'click_expired' | 'affiliate_not_approved';
/** Why a referral code did not qualify. */
export type ReferralRejection = 'code_unknown' | 'code_other_program' | 'affiliate_not_approved';

export type Attribution =
  | {
      credited: true;
      affiliateId: string;
      /** What credited the subscription: for an existing binding, the source that made it. */
      source: CreditSource;
      /** R3.1: 'existing' when the subscription was already bound, 'new' when this event binds it. */
      binding: 'existing' | 'new';
      boundAt: Instant;
      /** Set when this event's own click id was ignored in favour of the binding. */
      ignoredClickId: string | null;
    }
  | {
      credited: false;
      reason: 'subscription_canceled' | 'not_attributed';
      clickRejection: ClickRejection | null;
      referralRejection: ReferralRejection | null;
    };

/** R1.2: only an approved (not dismissed) enrolment credits anything. @example isApproved(aff) */
export function isApproved(affiliate: AffiliateFact | null | undefined): boolean {
  return affiliate?.enrolment?.status === 'approved';
}

/**
 * R2.2: whether a click credits an event at `occurredAt`: same program, a human, an approved
 * affiliate, and `clickedAt ≤ occurredAt < clickedAt + cookieDays × 24 h`. Null when it qualifies.
 * @example clickRejection(click, { programId: 'p', cookieDays: 30, occurredAt: click.clickedAt, affiliate }) === null
 */
export function clickRejection(
  click: ClickFact | null,
  context: { programId: string; cookieDays: number; occurredAt: Instant; affiliate: AffiliateFact | null },
): ClickRejection | null {
  if (!click) return 'click_unknown';
  if (click.programId !== context.programId) return 'click_other_program';
  if (click.isBot) return 'click_bot';
  if (context.occurredAt < click.clickedAt) return 'click_after_event';
  if (context.occurredAt >= click.clickedAt + context.cookieDays * DAY_MS) return 'click_expired';
  if (!isApproved(context.affiliate)) return 'affiliate_not_approved';
  return null;
}

/** api.md: an explicit referral code has no window; it needs an approved affiliate in the program. */
export function referralRejection(referral: ReferralCodeFact | null, context: { programId: string; affiliate: AffiliateFact | null }): ReferralRejection | null {
  if (!referral) return 'code_unknown';
  if (referral.programId !== context.programId) return 'code_other_program';
  if (!isApproved(context.affiliate)) return 'affiliate_not_approved';
  return null;
}

export interface AttributionInput {
  programId: string;
  cookieDays: number;
  occurredAt: Instant;
  /** The subscription as stored before this event (null when this event creates it). */
  subscription: SubscriptionFact | null;
  /** The event's click id and the click it resolves to (null when unknown). */
  clickId: string | null;
  click: ClickFact | null;
  clickAffiliate: AffiliateFact | null;
  /** The event's referral code and what it resolves to. */
  referralCode: string | null;
  referral: ReferralCodeFact | null;
  referralAffiliate: AffiliateFact | null;
}

/**
 * Decides who is credited for one event of a subscription.
 * - R3.1: payments on a cancelled subscription earn nothing; a bound subscription stays with its
 *   affiliate whatever is clicked later (even once that affiliate is dismissed: it then earns nothing, R1.2).
 * - Otherwise the event binds the subscription when it carries a qualifying click id (R2.2/R2.3)
 *   or, failing that, a qualifying referral code (api.md, no window).
 * **(reading)** R3.1 "the first event that carries a qualifying click id or referral code" binds, so
 * an unbound subscription can be bound by a later event.
 * @example decideAttribution({ programId: 'p', cookieDays: 30, occurredAt, subscription: null, clickId: 'clk_1', click, clickAffiliate, referralCode: null, referral: null, referralAffiliate: null })
 */
export function decideAttribution(input: AttributionInput): Attribution {
  const { subscription, occurredAt } = input;
  if (subscription && subscription.canceledAt !== null && occurredAt >= subscription.canceledAt) {
    return { credited: false, reason: 'subscription_canceled', clickRejection: null, referralRejection: null };
  }
  if (subscription?.binding) {
    const binding = subscription.binding;
    const ignored = input.clickId !== null && input.click?.affiliateId !== binding.affiliateId ? input.clickId : null;
    return { credited: true, affiliateId: binding.affiliateId, source: binding.source, binding: 'existing', boundAt: binding.boundAt, ignoredClickId: ignored };
  }
  let clickProblem: ClickRejection | null = null;
  if (input.clickId !== null) {
    clickProblem = clickRejection(input.click, { programId: input.programId, cookieDays: input.cookieDays, occurredAt, affiliate: input.clickAffiliate });
    if (clickProblem === null && input.click) {
      const source: CreditSource = { type: 'click', clickId: input.click.id, clickedAt: input.click.clickedAt, linkId: input.click.linkId };
      return { credited: true, affiliateId: input.click.affiliateId, source, binding: 'new', boundAt: occurredAt, ignoredClickId: null };
    }
  }
  let referralProblem: ReferralRejection | null = null;
  if (input.referralCode !== null) {
    referralProblem = referralRejection(input.referral, { programId: input.programId, affiliate: input.referralAffiliate });
    if (referralProblem === null && input.referral) {
      const source: CreditSource = { type: 'referral_code', code: input.referral.code, linkId: input.referral.linkId };
      return { credited: true, affiliateId: input.referral.affiliateId, source, binding: 'new', boundAt: occurredAt, ignoredClickId: null };
    }
  }
  return { credited: false, reason: 'not_attributed', clickRejection: clickProblem, referralRejection: referralProblem };
}

/** The binding an attribution creates, to store on the subscription (null when none is new). */
export function bindingFrom(attribution: Attribution): Binding | null {
  if (!attribution.credited || attribution.binding !== 'new') return null;
  return { affiliateId: attribution.affiliateId, boundAt: attribution.boundAt, source: attribution.source };
}

export type SelfReferralSignal = 'customer_id' | 'email' | 'fingerprint';

/**
 * R4.5: is this customer the affiliate themselves? By their own customer id or the same normalised
 * e-mail (case and surrounding spaces ignored; `+alias` is a different address). The app records
 * fingerprints of payments for which this is true, for `detectSelfReferral`.
 * @example isPaymentByAffiliate(aff, { customerId: 'cus_9', customerEmail: ' Ann@X.com ' })
 */
export function isPaymentByAffiliate(affiliate: AffiliateFact, payment: Pick<PaymentFact, 'customerId' | 'customerEmail'>): boolean {
  return selfSignals(affiliate, payment).length > 0;
}

function selfSignals(affiliate: AffiliateFact, payment: Pick<PaymentFact, 'customerId' | 'customerEmail'>): SelfReferralSignal[] {
  const signals: SelfReferralSignal[] = [];
  if (affiliate.customerId !== null && affiliate.customerId === payment.customerId) signals.push('customer_id');
  if (payment.customerEmail !== null && normaliseEmail(payment.customerEmail) === normaliseEmail(affiliate.email)) signals.push('email');
  return signals;
}

/**
 * R4.5: detects a purchase through the affiliate's own link for their own use: the customer is the
 * affiliate's own account, has the same normalised e-mail, or paid with a fingerprint already seen
 * on a payment by the affiliate themselves. Returns the signals that fired, or null.
 * @example detectSelfReferral(aff, payment, new Set(['card_abc'])) // ['fingerprint']
 */
export function detectSelfReferral(
  affiliate: AffiliateFact,
  payment: Pick<PaymentFact, 'customerId' | 'customerEmail' | 'fingerprint'>,
  affiliateFingerprints: ReadonlySet<string>,
): SelfReferralSignal[] | null {
  const signals = selfSignals(affiliate, payment);
  if (payment.fingerprint !== null && affiliateFingerprints.has(payment.fingerprint)) signals.push('fingerprint');
  return signals.length > 0 ? signals : null;
}
