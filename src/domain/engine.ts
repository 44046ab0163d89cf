// Replay: folds a whole history through the same decision functions the app layer calls one
// event at a time, with an in-memory fact store. Deterministic: ids derive from the history,
// Maps keep insertion order, and nothing reads a clock.
import { bindingFrom, decideAttribution, isPaymentByAffiliate } from './attribution.js';
import { commissionsForPayment, type NoCommissionReason } from './commissions.js';
import { isDomainError } from './errors.js';
import type { AffiliateFact, ClickFact, EnrolmentStatus, PayeeFact, PaymentFact, ReferralCodeFact, RefundFact, SaleFact, SubscriptionFact } from './facts.js';
import { assertLedgerInvariants, deterministicIds, reversalsForRefund, type Commission, type LedgerEntry } from './ledger.js';
import type { Interval } from './plan.js';
import { assertMonthStarted, composePayoutRun, payoutEntries, type PayoutRun } from './payouts.js';
import type { ProgramSettings } from './program.js';
import { decideReassignment } from './reassignment.js';
import { SalesBook } from './tiers.js';
import type { Instant, Month } from './time.js';

export interface HistoryAffiliate {
  id: string;
  email: string;
  customerId?: string | null;
  recruitedBy?: string | null;
  /** Enrolment in the program; default 'approved'. */
  status?: EnrolmentStatus;
  /** Their main link code in the program, for `referralCode` events. */
  referralCode?: string;
  /** R8.3; default true and `${id}@paypal.test`. */
  taxFormComplete?: boolean;
  payoutAccount?: string | null;
}

export interface CustomerRef {
  id: string;
  email?: string | null;
}

export type HistoryEvent =
  | { type: 'click'; id: string; affiliateId: string; at: Instant; programId?: string; isBot?: boolean; linkId?: string | null }
  | { type: 'subscription.started'; subscriptionId: string; customer: CustomerRef; interval?: Interval; at: Instant; clickId?: string | null; referralCode?: string | null }
  | {
      type: 'payment.succeeded';
      paymentId: string;
      subscriptionId: string;
      customer: CustomerRef;
      interval?: Interval;
      amountMinor: number;
      fullPrice?: boolean;
      fingerprint?: string | null;
      accountOwnedByAffiliateId?: string | null;
      at: Instant;
      clickId?: string | null;
      referralCode?: string | null;
    }
  | { type: 'payment.refunded'; paymentId: string; amountMinor?: number; at: Instant }
  | { type: 'payment.disputed'; paymentId: string; at: Instant }
  | { type: 'subscription.canceled'; subscriptionId: string; at: Instant }
  | { type: 'reassign'; subscriptionId: string; affiliateId: string; at: Instant; reason?: string }
  | { type: 'dismiss'; affiliateId: string; at: Instant }
  | { type: 'payee.updated'; affiliateId: string; at: Instant; taxFormComplete?: boolean; payoutAccount?: string | null }
  | { type: 'payout.run'; month: Month; at: Instant; failAffiliateIds?: string[] };

export interface History {
  programId?: string;
  program: ProgramSettings;
  affiliates: HistoryAffiliate[];
  events: HistoryEvent[];
}

/** What one event did: the commissions and entries it created, why nothing, or the refusal. */
export interface EventOutcome {
  index: number;
  type: HistoryEvent['type'];
  commissionIds: string[];
  entryIds: string[];
  reasons: NoCommissionReason[];
  error: { code: string; message: string } | null;
}

export interface ReplayRun {
  runId: string;
  month: Month;
  at: Instant;
  run: PayoutRun;
  paidAffiliateIds: string[];
  failedAffiliateIds: string[];
}

export interface ReplayResult {
  commissions: Commission[];
  entries: LedgerEntry[];
  subscriptions: SubscriptionFact[];
  payments: PaymentFact[];
  /** Each affiliate's sales book at the end (R5.1), for `tierAt`. */
  sales: Map<string, SaleFact[]>;
  affiliates: AffiliateFact[];
  payees: PayeeFact[];
  runs: ReplayRun[];
  outcomes: EventOutcome[];
}

class FactStore {
  readonly affiliates = new Map<string, AffiliateFact>();
  readonly payees = new Map<string, PayeeFact>();
  readonly codes = new Map<string, ReferralCodeFact>();
  readonly clicks = new Map<string, ClickFact>();
  readonly subscriptions = new Map<string, SubscriptionFact>();
  readonly payments = new Map<string, PaymentFact>();
  readonly paymentsBySubscription = new Map<string, string[]>();
  readonly refunds = new Map<string, RefundFact[]>();
  readonly books = new Map<string, SalesBook>();
  readonly saleOwner = new Map<string, string>();
  readonly fingerprints = new Map<string, Set<string>>();
  readonly commissions: Commission[] = [];
  readonly commissionsByPayment = new Map<string, Commission[]>();
  readonly entries: LedgerEntry[] = [];
  readonly entriesByCommission = new Map<string, LedgerEntry[]>();
  readonly runs: ReplayRun[] = [];

  constructor(readonly programId: string) {}

  book(affiliateId: string): SalesBook {
    let book = this.books.get(affiliateId);
    if (!book) {
      book = new SalesBook();
      this.books.set(affiliateId, book);
    }
    return book;
  }

  addCommissions(commissions: readonly Commission[]): void {
    for (const commission of commissions) {
      this.commissions.push(commission);
      const list = this.commissionsByPayment.get(commission.paymentId);
      if (list) list.push(commission);
      else this.commissionsByPayment.set(commission.paymentId, [commission]);
    }
  }

  addEntries(entries: readonly LedgerEntry[]): void {
    for (const entry of entries) {
      this.entries.push(entry);
      const list = this.entriesByCommission.get(entry.commissionId);
      if (list) list.push(entry);
      else this.entriesByCommission.set(entry.commissionId, [entry]);
    }
  }

  entriesOf(commissions: readonly Commission[]): LedgerEntry[] {
    return commissions.flatMap((commission) => this.entriesByCommission.get(commission.id) ?? []);
  }

  affiliateOf(id: string | null | undefined): AffiliateFact | null {
    return id ? (this.affiliates.get(id) ?? null) : null;
  }
}

/**
 * Replays a history in arrival order (api.md: back-dated events are applied in arrival order,
 * `at` being the business time) and returns the ledger and facts it produced. A refused event
 * (e.g. a reassignment after 30 days, R3.2) is recorded in `outcomes` and changes nothing.
 * @example replay({ program: { ...DEFAULT_PROGRAM_SETTINGS, currency: 'usd', plan: DEFAULT_PLAN }, affiliates: [{ id: 'aff_a', email: 'a@x.com' }], events: [...] })
 */
export function replay(history: History, options: { checkInvariants?: boolean } = {}): ReplayResult {
  const programId = history.programId ?? 'program';
  const settings = history.program;
  const store = new FactStore(programId);
  for (const affiliate of history.affiliates) {
    const status = affiliate.status ?? 'approved';
    store.affiliates.set(affiliate.id, {
      id: affiliate.id,
      email: affiliate.email,
      customerId: affiliate.customerId ?? null,
      recruitedBy: affiliate.recruitedBy ?? null,
      enrolment: { status, approvedAt: status === 'approved' || status === 'dismissed' ? 0 : null, dismissedAt: null },
    });
    store.payees.set(affiliate.id, {
      id: affiliate.id,
      taxFormComplete: affiliate.taxFormComplete ?? true,
      payoutAccount: affiliate.payoutAccount === undefined ? `${affiliate.id}@paypal.test` : affiliate.payoutAccount,
    });
    if (affiliate.referralCode) store.codes.set(affiliate.referralCode, { code: affiliate.referralCode, affiliateId: affiliate.id, programId, linkId: null });
  }

  const outcomes: EventOutcome[] = [];
  history.events.forEach((event, index) => {
    const outcome: EventOutcome = { index, type: event.type, commissionIds: [], entryIds: [], reasons: [], error: null };
    const entriesBefore = store.entries.length;
    const commissionsBefore = store.commissions.length;
    try {
      applyEvent(store, settings, event, outcome);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      outcome.error = { code: error.code, message: error.message };
    }
    outcome.commissionIds = store.commissions.slice(commissionsBefore).map((commission) => commission.id);
    outcome.entryIds = store.entries.slice(entriesBefore).map((entry) => entry.id);
    outcomes.push(outcome);
  });

  if (options.checkInvariants ?? true) assertLedgerInvariants(store.commissions, store.entries);
  const sales = new Map<string, SaleFact[]>();
  for (const [affiliateId, book] of store.books) sales.set(affiliateId, book.sales());
  return {
    commissions: store.commissions,
    entries: store.entries,
    subscriptions: [...store.subscriptions.values()],
    payments: [...store.payments.values()],
    sales,
    affiliates: [...store.affiliates.values()],
    payees: [...store.payees.values()],
    runs: store.runs,
    outcomes,
  };
}

function refuse(outcome: EventOutcome, code: string, message: string): void {
  outcome.error = { code, message };
}

function applyEvent(store: FactStore, settings: ProgramSettings, event: HistoryEvent, outcome: EventOutcome): void {
  switch (event.type) {
    case 'click':
      store.clicks.set(event.id, {
        id: event.id,
        affiliateId: event.affiliateId,
        programId: event.programId ?? store.programId,
        linkId: event.linkId ?? null,
        clickedAt: event.at,
        isBot: event.isBot ?? false,
      });
      return;
    case 'subscription.started': {
      const existing = store.subscriptions.get(event.subscriptionId) ?? null;
      const subscription = existing ?? newSubscription(event.subscriptionId, event.customer.id, event.interval ?? 'month', event.at);
      const attribution = attribute(store, settings, existing, event.at, event.clickId ?? null, event.referralCode ?? null);
      const binding = bindingFrom(attribution);
      store.subscriptions.set(subscription.id, binding ? { ...subscription, binding } : subscription);
      if (!attribution.credited) outcome.reasons.push(attribution.reason);
      return;
    }
    case 'payment.succeeded':
      return applyPayment(store, settings, event, outcome);
    case 'payment.refunded':
    case 'payment.disputed': {
      const payment = store.payments.get(event.paymentId);
      if (!payment) return; // api.md: a refund of a payment never seen answers with no commissions.
      const refunds = store.refunds.get(payment.id) ?? [];
      const refundedSoFar = refunds.reduce((sum, refund) => sum + refund.amountMinor, 0);
      const remaining = payment.amountMinor - refundedSoFar;
      const requested = event.type === 'payment.refunded' && event.amountMinor !== undefined ? event.amountMinor : remaining;
      const amountMinor = Math.min(requested, remaining);
      if (amountMinor <= 0) return;
      refunds.push({ amountMinor, at: event.at });
      store.refunds.set(payment.id, refunds);
      const owner = store.saleOwner.get(payment.id);
      if (owner) store.book(owner).refund(payment.id, amountMinor, event.at);
      const commissions = store.commissionsByPayment.get(payment.id) ?? [];
      store.addEntries(
        reversalsForRefund({
          commissions,
          entries: store.entriesOf(commissions),
          paymentAmountMinor: payment.amountMinor,
          cumulativeRefundedMinor: refundedSoFar + amountMinor,
          at: event.at,
          reason: event.type === 'payment.disputed' ? 'dispute' : 'refund',
        }),
      );
      return;
    }
    case 'subscription.canceled': {
      const subscription = store.subscriptions.get(event.subscriptionId);
      if (subscription && subscription.canceledAt === null) store.subscriptions.set(subscription.id, { ...subscription, canceledAt: event.at });
      return;
    }
    case 'reassign':
      return applyReassignment(store, settings, event, outcome);
    case 'dismiss': {
      const affiliate = store.affiliates.get(event.affiliateId);
      if (!affiliate) return refuse(outcome, 'affiliate_unknown', `No affiliate ${event.affiliateId}.`);
      store.affiliates.set(affiliate.id, {
        ...affiliate,
        enrolment: { status: 'dismissed', approvedAt: affiliate.enrolment?.approvedAt ?? null, dismissedAt: event.at },
      });
      return;
    }
    case 'payee.updated': {
      const payee = store.payees.get(event.affiliateId);
      if (!payee) return refuse(outcome, 'affiliate_unknown', `No affiliate ${event.affiliateId}.`);
      store.payees.set(payee.id, {
        ...payee,
        taxFormComplete: event.taxFormComplete ?? payee.taxFormComplete,
        payoutAccount: event.payoutAccount === undefined ? payee.payoutAccount : event.payoutAccount,
      });
      return;
    }
    case 'payout.run': {
      assertMonthStarted(event.month, event.at);
      const runId = `run_${event.month}`;
      if (store.runs.some((run) => run.month === event.month)) return refuse(outcome, 'payout_run_exists', `The ${event.month} run already exists.`);
      const run = composePayoutRun({ month: event.month, commissions: store.commissions, entries: store.entries, affiliates: [...store.payees.values()] });
      const failed = new Set(event.failAffiliateIds ?? []);
      const paid: string[] = [];
      for (const item of run.items) {
        if (failed.has(item.affiliateId)) continue; // R8.4: a failed item appends nothing; its amount stays due.
        store.addEntries(payoutEntries(item, { runId, at: event.at }));
        paid.push(item.affiliateId);
      }
      store.runs.push({ runId, month: event.month, at: event.at, run, paidAffiliateIds: paid, failedAffiliateIds: run.items.map((i) => i.affiliateId).filter((id) => failed.has(id)) });
      return;
    }
  }
}

function newSubscription(id: string, customerId: string, interval: Interval, at: Instant): SubscriptionFact {
  return { id, customerId, interval, firstEventAt: at, canceledAt: null, binding: null, firstFullPaymentId: null };
}

function attribute(store: FactStore, settings: ProgramSettings, subscription: SubscriptionFact | null, at: Instant, clickId: string | null, referralCode: string | null) {
  const click = clickId ? (store.clicks.get(clickId) ?? null) : null;
  const referral = referralCode ? (store.codes.get(referralCode) ?? null) : null;
  return decideAttribution({
    programId: store.programId,
    cookieDays: settings.cookieDays,
    occurredAt: at,
    subscription,
    clickId,
    click,
    clickAffiliate: store.affiliateOf(click?.affiliateId),
    referralCode,
    referral,
    referralAffiliate: store.affiliateOf(referral?.affiliateId),
  });
}

function applyPayment(store: FactStore, settings: ProgramSettings, event: Extract<HistoryEvent, { type: 'payment.succeeded' }>, outcome: EventOutcome): void {
  if (store.payments.has(event.paymentId)) return refuse(outcome, 'payment_already_recorded', `Payment ${event.paymentId} was already recorded.`);
  const existing = store.subscriptions.get(event.subscriptionId) ?? null;
  const subscription = existing ?? newSubscription(event.subscriptionId, event.customer.id, event.interval ?? 'month', event.at);
  const attribution = attribute(store, settings, existing, event.at, event.clickId ?? null, event.referralCode ?? null);
  const binding = bindingFrom(attribution);
  const bound = binding ? { ...subscription, binding } : subscription;
  const payment: PaymentFact = {
    id: event.paymentId,
    subscriptionId: subscription.id,
    customerId: event.customer.id,
    customerEmail: event.customer.email ?? null,
    amountMinor: event.amountMinor,
    paidAt: event.at,
    fullPrice: event.fullPrice ?? true,
    fingerprint: event.fingerprint ?? null,
    accountOwnedByAffiliateId: event.accountOwnedByAffiliateId ?? null,
  };
  const affiliate = attribution.credited ? store.affiliateOf(attribution.affiliateId) : null;
  const decision = commissionsForPayment({
    settings,
    payment,
    subscription: bound,
    attribution,
    affiliate,
    recruiter: store.affiliateOf(affiliate?.recruitedBy),
    affiliateSales: affiliate ? store.book(affiliate.id) : [],
    affiliateFingerprints: (affiliate && store.fingerprints.get(affiliate.id)) || new Set<string>(),
  });
  // Commit only after every decision succeeded, so a refusal changes nothing.
  store.subscriptions.set(bound.id, decision.isFirstFullPayment && bound.firstFullPaymentId === null ? { ...bound, firstFullPaymentId: payment.id } : bound);
  store.payments.set(payment.id, payment);
  store.paymentsBySubscription.set(subscription.id, [...(store.paymentsBySubscription.get(subscription.id) ?? []), payment.id]);
  store.addCommissions(decision.commissions);
  store.addEntries(decision.entries);
  if (decision.sale && affiliate) {
    store.book(affiliate.id).add(decision.sale);
    store.saleOwner.set(payment.id, affiliate.id);
  }
  // R4.5: remember fingerprints of payments the affiliates made themselves.
  if (payment.fingerprint !== null) {
    for (const candidate of store.affiliates.values()) {
      if (isPaymentByAffiliate(candidate, payment)) {
        const set = store.fingerprints.get(candidate.id) ?? new Set<string>();
        set.add(payment.fingerprint);
        store.fingerprints.set(candidate.id, set);
      }
    }
  }
  outcome.reasons.push(...decision.reasons);
}

function applyReassignment(store: FactStore, settings: ProgramSettings, event: Extract<HistoryEvent, { type: 'reassign' }>, outcome: EventOutcome): void {
  const subscription = store.subscriptions.get(event.subscriptionId);
  if (!subscription) return refuse(outcome, 'subscription_unknown', `No subscription ${event.subscriptionId}.`);
  const newAffiliate = store.affiliates.get(event.affiliateId);
  if (!newAffiliate) return refuse(outcome, 'affiliate_unknown', `No affiliate ${event.affiliateId}.`);
  const payments = (store.paymentsBySubscription.get(subscription.id) ?? []).map((id) => store.payments.get(id) as PaymentFact);
  const commissions = payments.flatMap((payment) => store.commissionsByPayment.get(payment.id) ?? []);
  const decision = decideReassignment({
    settings,
    subscription,
    at: event.at,
    reason: event.reason ?? 'customer asked',
    newAffiliate,
    newRecruiter: store.affiliateOf(newAffiliate.recruitedBy),
    payments,
    refunds: store.refunds,
    commissions,
    entries: store.entriesOf(commissions),
    newAffiliateSales: store.book(newAffiliate.id),
    newAffiliateFingerprints: store.fingerprints.get(newAffiliate.id) ?? new Set<string>(),
    ids: deterministicIds,
  });
  store.subscriptions.set(subscription.id, decision.subscription);
  store.addEntries(decision.reversals);
  for (const paymentId of decision.removedSalePaymentIds) {
    const owner = store.saleOwner.get(paymentId);
    if (owner) store.book(owner).remove(paymentId);
    store.saleOwner.delete(paymentId);
  }
  store.addCommissions(decision.commissions);
  store.addEntries(decision.entries);
  for (const sale of decision.newSales) {
    store.book(newAffiliate.id).add(sale);
    store.saleOwner.set(sale.paymentId, newAffiliate.id);
  }
}
