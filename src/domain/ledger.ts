// R7 balances and R4.2/R4.3 states, from an append-only ledger (R7.2, style §5). A commission is
// created once and never edited; everything that happens to it afterwards is a new entry:
//   earn    +amount   when it is created (R4.1)
//   reverse −amount   a refund, chargeback or reassignment (R4.3, R3.2); never more than earned
//   payout  −outstanding when a payout item is confirmed paid (R8): it moves due into paid.
// So a commission's outstanding = Σ entries; paid = −Σ payout entries (what was actually sent).
import { invariant } from './errors.js';
import type { CreditSource } from './facts.js';
import { applyRateBps, type MinorUnits, type RateBps } from './money.js';
import type { Interval } from './plan.js';
import type { SelfReferralSignal } from './attribution.js';
import type { Instant } from './time.js';

export type CommissionKind = 'direct' | 'jv';
/** R7.1 / api.md commission statuses, derived, never stored. */
export type CommissionStatus = 'reserve' | 'due' | 'paid' | 'reversed' | 'rejected';

/** Why a commission exists at the amount it has: stored with it so `explain` needs no recomputation. */
export interface CommissionBasis {
  /** What credited the subscription (click, referral code, reassignment). */
  source: CreditSource;
  /** R3.1: whether the payment followed an existing binding or made it. */
  binding: 'existing' | 'new' | 'reassignment';
  boundAt: Instant;
  interval: Interval;
  /** R5: 'first' for the subscription's first full-price payment; R6: 'jv' for a recruiter's share. */
  rateKind: 'first' | 'recurring' | 'jv';
  paymentAmountMinor: MinorUnits;
  /** R5.3: the standing the rate was read from (for JV, the recruit's standing). */
  tier: { key: string; trailingRevenueMinor: MinorUnits; distinctCustomers: number };
  /** R6: for a JV commission, the recruit whose sale it is. */
  recruitAffiliateId: string | null;
  /** R4.5: the signals that flagged a self-referral. */
  selfReferralSignals: SelfReferralSignal[];
}

export interface Commission {
  id: string;
  kind: CommissionKind;
  affiliateId: string;
  paymentId: string;
  subscriptionId: string;
  customerId: string;
  amountMinor: MinorUnits;
  rateBps: RateBps;
  /** The tier key it was priced at; null for JV (the recruiter's rate is the program's jv rate). */
  tierKey: string | null;
  /** The payment time (R4.2). */
  earnedAt: Instant;
  /** earnedAt + holdDays × 24 h (R4.2). */
  dueAt: Instant;
  /** 'rejected' for a flagged self-referral (R4.5): amount 0, no entries. */
  status: 'active' | 'rejected';
  reason: 'self_referral' | null;
  /** R6: a JV commission points at the recruit's direct commission when there is one. */
  sourceCommissionId: string | null;
  basis: CommissionBasis;
}

export type EntryType = 'earn' | 'reverse' | 'payout';
export type EntryReason = 'payment' | 'refund' | 'dispute' | 'reassignment' | 'payout';

export interface LedgerEntry {
  id: string;
  commissionId: string;
  affiliateId: string;
  type: EntryType;
  /** Signed: earn > 0, reverse < 0, payout = −(outstanding at payment) (can be > 0 when netting a clawback). */
  amountMinor: MinorUnits;
  at: Instant;
  reason: EntryReason;
  /** What caused it: a refund's cumulative amount, a payout run id, a reassignment reason. */
  ref: string | null;
}

/** How ids are minted. The default is deterministic (replay twice → same ids); the app may pass its own. */
export interface IdSource {
  commission(seed: string): string;
  entry(seed: string): string;
}

/** Deterministic ids derived from their seed (e.g. `com_pay_1.direct.aff_a`). */
export const deterministicIds: IdSource = {
  commission: (seed) => `com_${seed}`,
  entry: (seed) => `ent_${seed}`,
};

/** The earn entry of a newly created active commission. @example earnEntry(commission).amountMinor === commission.amountMinor */
export function earnEntry(commission: Commission, ids: IdSource = deterministicIds): LedgerEntry {
  return {
    id: ids.entry(`${commission.id}.earn`),
    commissionId: commission.id,
    affiliateId: commission.affiliateId,
    type: 'earn',
    amountMinor: commission.amountMinor,
    at: commission.earnedAt,
    reason: 'payment',
    ref: commission.paymentId,
  };
}

export interface CommissionTotals {
  earned: MinorUnits;
  /** Positive: what reversals took back. */
  reversed: MinorUnits;
  /** Positive: what was actually sent (R7.1 "paid keeps what was actually sent"). */
  paid: MinorUnits;
  /** earned − reversed − paid = Σ entries: what is still owed (negative: a clawback to net). */
  outstanding: MinorUnits;
  reverseCount: number;
}

/**
 * Sums one commission's entries up to `now` (inclusive; omit `now` for all of them).
 * @example commissionTotals(entries) // { earned: 1980, reversed: 0, paid: 0, outstanding: 1980, reverseCount: 0 }
 */
export function commissionTotals(entries: readonly LedgerEntry[], now = Number.POSITIVE_INFINITY): CommissionTotals {
  let earned = 0;
  let reversed = 0;
  let paid = 0;
  let reverseCount = 0;
  for (const entry of entries) {
    if (entry.at > now) continue;
    if (entry.type === 'earn') earned += entry.amountMinor;
    else if (entry.type === 'reverse') {
      reversed -= entry.amountMinor;
      reverseCount += 1;
    } else paid -= entry.amountMinor;
  }
  return { earned, reversed, paid, outstanding: earned - reversed - paid, reverseCount };
}

/** Groups entries by commission id, keeping their order. */
export function entriesByCommission(entries: readonly LedgerEntry[]): Map<string, LedgerEntry[]> {
  const grouped = new Map<string, LedgerEntry[]>();
  for (const entry of entries) {
    const list = grouped.get(entry.commissionId);
    if (list) list.push(entry);
    else grouped.set(entry.commissionId, [entry]);
  }
  return grouped;
}

/**
 * A commission's status, derived only from its entries and the clock (R4.2, R4.3, R7.1):
 * rejected (R4.5) → reversed (nothing left earned) → paid (something was sent) → due (hold passed:
 * earnedAt + hold ≤ now) → reserve.
 * @example commissionState(commission, entries, commission.dueAt) === 'due'
 */
export function commissionState(commission: Commission, entries: readonly LedgerEntry[], now: Instant): CommissionStatus {
  if (commission.status === 'rejected') return 'rejected';
  const totals = commissionTotals(entries.filter((entry) => entry.commissionId === commission.id), now);
  if (totals.earned > 0 && totals.reversed >= totals.earned) return 'reversed';
  if (totals.paid > 0) return 'paid';
  return now >= commission.dueAt ? 'due' : 'reserve';
}

export interface Balance {
  reserve: MinorUnits;
  due: MinorUnits;
  paid: MinorUnits;
}

/**
 * R7.1 balances over the given commissions (pass one affiliate's to get theirs), as of `now`:
 * a commission still in hold puts its earned − reversed in reserve (a reversal there cancels it);
 * once due, its outstanding goes to due (a paid commission's reversal is a negative due); paid is
 * what payouts actually sent.
 * @example balances(entries, commissions, now) // { reserve: 0, due: 1980, paid: 0 }
 */
export function balances(entries: readonly LedgerEntry[], commissions: readonly Commission[], now: Instant): Balance {
  const dueAtById = new Map<string, Instant>();
  for (const commission of commissions) dueAtById.set(commission.id, commission.dueAt);
  const balance: Balance = { reserve: 0, due: 0, paid: 0 };
  for (const entry of entries) {
    if (entry.at > now) continue;
    const dueAt = dueAtById.get(entry.commissionId);
    if (dueAt === undefined) continue;
    if (entry.type === 'payout') balance.paid -= entry.amountMinor;
    if (now >= dueAt) balance.due += entry.amountMinor;
    else balance.reserve += entry.amountMinor;
  }
  return balance;
}

/** R7.1 balances for every affiliate with a commission. @example balancesByAffiliate(entries, commissions, now).get('aff_a') */
export function balancesByAffiliate(entries: readonly LedgerEntry[], commissions: readonly Commission[], now: Instant): Map<string, Balance> {
  const owner = new Map<string, { affiliateId: string; dueAt: Instant }>();
  const result = new Map<string, Balance>();
  for (const commission of commissions) {
    owner.set(commission.id, { affiliateId: commission.affiliateId, dueAt: commission.dueAt });
    if (!result.has(commission.affiliateId)) result.set(commission.affiliateId, { reserve: 0, due: 0, paid: 0 });
  }
  for (const entry of entries) {
    if (entry.at > now) continue;
    const info = owner.get(entry.commissionId);
    if (!info) continue;
    const balance = result.get(info.affiliateId) as Balance;
    if (entry.type === 'payout') balance.paid -= entry.amountMinor;
    if (now >= info.dueAt) balance.due += entry.amountMinor;
    else balance.reserve += entry.amountMinor;
  }
  return result;
}

/**
 * R4.3 (refund, partial refund) and chargeback: the reversal entries for a payment's commissions
 * (the direct one and the recruiter's JV, R6.1) once `cumulativeRefundedMinor` of the payment has
 * been refunded. Proportional and cumulative, so the total never exceeds the commission:
 * `reversal = min(earned, applyRateBps(cumulative, rate)) − already reversed` (never negative).
 * Rejected commissions have nothing to reverse.
 * @example reversalsForRefund({ commissions: [c], entries, paymentAmountMinor: 9900, cumulativeRefundedMinor: 9900, at, reason: 'refund' })
 */
export function reversalsForRefund(input: {
  commissions: readonly Commission[];
  entries: readonly LedgerEntry[];
  paymentAmountMinor: MinorUnits;
  cumulativeRefundedMinor: MinorUnits;
  at: Instant;
  reason: 'refund' | 'dispute';
  ids?: IdSource;
}): LedgerEntry[] {
  const ids = input.ids ?? deterministicIds;
  const refunded = Math.min(input.cumulativeRefundedMinor, input.paymentAmountMinor);
  const grouped = entriesByCommission(input.entries);
  const result: LedgerEntry[] = [];
  for (const commission of input.commissions) {
    if (commission.status !== 'active') continue;
    const totals = commissionTotals(grouped.get(commission.id) ?? []);
    const target = Math.min(totals.earned, applyRateBps(refunded, commission.rateBps));
    const amount = target - totals.reversed;
    if (amount <= 0) continue;
    result.push(reverseEntry(commission, amount, input.at, input.reason, String(refunded), totals.reverseCount, ids));
  }
  return result;
}

/**
 * R3.2: reverses whatever is left of each commission (earned − reversed), e.g. when its
 * subscription is reassigned. A paid commission's reversal becomes a negative due (R7.1).
 * @example reverseRemaining(oldCommissions, entries, now, 'customer asked') // one entry per live commission
 */
export function reverseRemaining(commissions: readonly Commission[], entries: readonly LedgerEntry[], at: Instant, ref: string, ids: IdSource = deterministicIds): LedgerEntry[] {
  const grouped = entriesByCommission(entries);
  const result: LedgerEntry[] = [];
  for (const commission of commissions) {
    if (commission.status !== 'active') continue;
    const totals = commissionTotals(grouped.get(commission.id) ?? []);
    const amount = totals.earned - totals.reversed;
    if (amount <= 0) continue;
    result.push(reverseEntry(commission, amount, at, 'reassignment', ref, totals.reverseCount, ids));
  }
  return result;
}

function reverseEntry(commission: Commission, amount: MinorUnits, at: Instant, reason: EntryReason, ref: string, previous: number, ids: IdSource): LedgerEntry {
  return {
    id: ids.entry(`${commission.id}.reverse.${previous + 1}`),
    commissionId: commission.id,
    affiliateId: commission.affiliateId,
    type: 'reverse',
    amountMinor: -amount,
    at,
    reason,
    ref,
  };
}

/**
 * Throws an InvariantError when the ledger breaks a rule (style §5): unknown or mismatched
 * commissions; a rejected commission with entries or an amount; an active one without exactly one
 * earn entry equal to its amount; a reversal that is not negative or that takes back more than was
 * earned; a payout before the commission was due, or paying out more than was earned (never twice).
 * @example assertLedgerInvariants(commissions, entries) // returns quietly
 */
export function assertLedgerInvariants(commissions: readonly Commission[], entries: readonly LedgerEntry[]): void {
  const byId = new Map<string, Commission>();
  for (const commission of commissions) {
    invariant(!byId.has(commission.id), `Duplicate commission id ${commission.id}.`);
    byId.set(commission.id, commission);
    invariant(Number.isSafeInteger(commission.amountMinor) && commission.amountMinor >= 0, `Commission ${commission.id} has an invalid amount.`);
    invariant(commission.dueAt >= commission.earnedAt, `Commission ${commission.id} is due before it was earned.`);
    if (commission.status === 'rejected') invariant(commission.amountMinor === 0, `Rejected commission ${commission.id} carries an amount.`);
  }
  const seenEntryIds = new Set<string>();
  const grouped = entriesByCommission(entries);
  for (const entry of entries) {
    invariant(!seenEntryIds.has(entry.id), `Duplicate entry id ${entry.id}.`);
    seenEntryIds.add(entry.id);
    invariant(Number.isSafeInteger(entry.amountMinor), `Entry ${entry.id} is not an integer amount.`);
    const commission = byId.get(entry.commissionId);
    invariant(commission !== undefined, `Entry ${entry.id} names an unknown commission ${entry.commissionId}.`);
    invariant(entry.affiliateId === commission.affiliateId, `Entry ${entry.id} names another affiliate than its commission.`);
    if (entry.type === 'reverse') invariant(entry.amountMinor < 0, `Reversal ${entry.id} is not negative.`);
    if (entry.type === 'payout') invariant(entry.at >= commission.dueAt, `Payout ${entry.id} was made before its commission was due.`);
  }
  for (const commission of commissions) {
    const list = grouped.get(commission.id) ?? [];
    if (commission.status === 'rejected') {
      invariant(list.length === 0, `Rejected commission ${commission.id} has entries.`);
      continue;
    }
    const earns = list.filter((entry) => entry.type === 'earn');
    invariant(earns.length === 1 && earns[0]?.amountMinor === commission.amountMinor, `Commission ${commission.id} needs exactly one earn entry of its amount.`);
    let reversed = 0;
    let paid = 0;
    for (const entry of list) {
      if (entry.type === 'reverse') reversed -= entry.amountMinor;
      if (entry.type === 'payout') paid -= entry.amountMinor;
      invariant(reversed <= commission.amountMinor, `Commission ${commission.id} is reversed beyond what it earned.`, { reversed });
      invariant(paid <= commission.amountMinor, `Commission ${commission.id} is paid beyond what it earned.`, { paid });
    }
    invariant(paid >= 0, `Commission ${commission.id} has paid back more than was ever sent.`, { paid });
  }
}
