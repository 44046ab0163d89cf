// The facts the decision functions read. The app layer loads them from the database for one
// event; `replay` (engine.ts) keeps them in memory. Nothing here is computed: these are inputs.
import type { MinorUnits } from './money.js';
import type { Interval } from './plan.js';
import type { Instant } from './time.js';

/** R1.2: an affiliate's application in one program. Only `approved` credits anything. */
export type EnrolmentStatus = 'pending' | 'approved' | 'denied' | 'dismissed';

export interface EnrolmentFact {
  status: EnrolmentStatus;
  approvedAt: Instant | null;
  dismissedAt: Instant | null;
}

/** An affiliate as seen from one program (R1.1: enrolment is per program). */
export interface AffiliateFact {
  id: string;
  /** As stored: normalised (R10.1), compared again with `normaliseEmail` anyway. */
  email: string;
  /** R4.5: the affiliate's own customer id at the merchant, if any. */
  customerId: string | null;
  /** R6: the recruiter's affiliate id. */
  recruitedBy: string | null;
  /** The enrolment in this program, null when they never applied. */
  enrolment: EnrolmentFact | null;
}

/** R2.1: a recorded click on an affiliate or tracking link (R2.4, R9.1). */
export interface ClickFact {
  id: string;
  affiliateId: string;
  programId: string;
  /** The tracking link clicked, null for the main link (R2.4 credits the channel too). */
  linkId: string | null;
  clickedAt: Instant;
  isBot: boolean;
}

/** An affiliate's link code resolved by the app (api.md: `referral_code`). */
export interface ReferralCodeFact {
  code: string;
  affiliateId: string;
  programId: string;
  linkId: string | null;
}

/** What credited a subscription (R2.2, R3.1, R3.2): kept with the binding and each commission. */
export type CreditSource =
  | { type: 'click'; clickId: string; clickedAt: Instant; linkId: string | null }
  | { type: 'referral_code'; code: string; linkId: string | null }
  | { type: 'reassignment'; fromAffiliateId: string | null; reason: string };

/** R3.1: the lifetime tie between a subscription and the affiliate it was bought through. */
export interface Binding {
  affiliateId: string;
  boundAt: Instant;
  source: CreditSource;
}

export interface SubscriptionFact {
  id: string;
  customerId: string;
  interval: Interval;
  /** R3.2: the reassignment window is counted from here (trial included). */
  firstEventAt: Instant;
  canceledAt: Instant | null;
  binding: Binding | null;
  /** R5: the first full-price payment earns the plan's `firstBps`, later ones `recurringBps`. */
  firstFullPaymentId: string | null;
}

/** A received payment (R4.1, R4.4: only money received is ever a fact here). */
export interface PaymentFact {
  id: string;
  subscriptionId: string;
  customerId: string;
  customerEmail: string | null;
  amountMinor: MinorUnits;
  paidAt: Instant;
  /** R4.1: false for a trial or discounted payment; such a payment is not a sale. */
  fullPrice: boolean;
  /** R4.5: the payment method's fingerprint, when the merchant sends one. */
  fingerprint: string | null;
  /** R3.3: the affiliate (agency) that owns the paying customer's account, if any. */
  accountOwnedByAffiliateId: string | null;
}

export interface RefundFact {
  amountMinor: MinorUnits;
  at: Instant;
}

/**
 * R5.1: a sale in an affiliate's book: a full-price payment credited to them (not a
 * self-referral, not on an agency-owned account), with the refunds recorded against it.
 */
export interface SaleFact {
  paymentId: string;
  customerId: string;
  amountMinor: MinorUnits;
  paidAt: Instant;
  refunds: RefundFact[];
}

/** R8.3: what a payout needs to know about an affiliate. */
export interface PayeeFact {
  id: string;
  taxFormComplete: boolean;
  /** The connected PayPal account, null when none. */
  payoutAccount: string | null;
}
