// R8 payouts: the monthly run pays every commission that became due before the month's first day,
// netted with clawbacks of paid commissions (R7.1), withholding affiliates who cannot be paid yet
// (R8.3). Confirming an item appends 'payout' entries; a failed item appends nothing (R8.4).
import { DomainError, invariant } from './errors.js';
import type { PayeeFact } from './facts.js';
import { deterministicIds, type Commission, type IdSource, type LedgerEntry } from './ledger.js';
import type { MinorUnits } from './money.js';
import { monthStart, type Instant, type Month } from './time.js';

export type WithholdReason = 'tax_form_missing' | 'payout_account_missing';

/** One commission's part of an item: its outstanding amount when the run was composed. */
export interface PayoutLine {
  commissionId: string;
  amountMinor: MinorUnits;
}

export interface PayoutItem {
  affiliateId: string;
  /** Σ lines: what is sent. Always > 0. */
  amountMinor: MinorUnits;
  commissionIds: string[];
  lines: PayoutLine[];
}

export interface WithheldItem {
  affiliateId: string;
  amountMinor: MinorUnits;
  reasons: WithholdReason[];
  commissionIds: string[];
}

export interface PayoutRun {
  month: Month;
  /** The month's first day 00:00 UTC: only commissions due strictly before it are paid (R8.1). */
  cutoff: Instant;
  items: PayoutItem[];
  withheld: WithheldItem[];
}

export interface PayoutRunInput {
  month: Month;
  commissions: readonly Commission[];
  entries: readonly LedgerEntry[];
  /** R8.3 facts per affiliate; an affiliate missing here is withheld for both reasons. */
  affiliates: readonly PayeeFact[];
  /** Commissions already in an unfinished run's items: left out so nothing is paid twice. */
  lockedCommissionIds?: Iterable<string>;
}

/**
 * api.md: a run may be created only once its month has begun. Throws `payout_month_not_started`.
 * @example assertMonthStarted('2027-03', Date.UTC(2027, 2, 1)) // fine
 */
export function assertMonthStarted(month: Month, now: Instant): void {
  if (monthStart(month) > now) {
    throw new DomainError('payout_month_not_started', `The payout month ${month} has not begun yet.`, { month, now }, 'month');
  }
}

/**
 * One commission as a payout run sees it: whose it is, whether it is active, when it became due,
 * and its outstanding amount (Σ of all its entries, R7.1: earned − reversed − paid; negative for a
 * clawback of a paid commission).
 */
export interface OutstandingCommission {
  commissionId: string;
  affiliateId: string;
  status: Commission['status'];
  dueAt: Instant;
  outstandingMinor: MinorUnits;
}

export interface OutstandingRunInput {
  month: Month;
  /**
   * Commissions with their outstanding amounts. A store may leave out any commission the run
   * would skip anyway (not active, due on or after the cutoff, locked, or outstanding 0): every
   * rule is applied here again, so leaving one out can never change the run, only its cost.
   */
  outstanding: readonly OutstandingCommission[];
  /** R8.3 facts per affiliate; an affiliate missing here is withheld for both reasons. */
  affiliates: readonly PayeeFact[];
  /** Commissions already in an unfinished run's items: left out so nothing is paid twice. */
  lockedCommissionIds?: Iterable<string>;
}

/**
 * R7.1: each commission's outstanding amount, the sum of all its entries, in the order given.
 * @example outstandingOf([commission], [earnEntry(commission)]) // [{ commissionId, affiliateId, status: 'active', dueAt, outstandingMinor: commission.amountMinor }]
 */
export function outstandingOf(commissions: readonly Commission[], entries: readonly LedgerEntry[]): OutstandingCommission[] {
  const sums = new Map<string, MinorUnits>();
  for (const entry of entries) sums.set(entry.commissionId, (sums.get(entry.commissionId) ?? 0) + entry.amountMinor);
  return commissions.map((commission) => ({
    commissionId: commission.id,
    affiliateId: commission.affiliateId,
    status: commission.status,
    dueAt: commission.dueAt,
    outstandingMinor: sums.get(commission.id) ?? 0,
  }));
}

/**
 * R8.1–R8.3: composes the run of `month` from the whole ledger (the replay and tests hold it in
 * memory; the app sums entries in SQL and calls `composePayoutRunFromOutstanding` directly).
 * @example composePayoutRun({ month: '2027-03', commissions, entries, affiliates }) // { items: [...], withheld: [...] }
 */
export function composePayoutRun(input: PayoutRunInput): PayoutRun {
  return composePayoutRunFromOutstanding({
    month: input.month,
    outstanding: outstandingOf(input.commissions, input.entries),
    affiliates: input.affiliates,
    ...(input.lockedCommissionIds ? { lockedCommissionIds: input.lockedCommissionIds } : {}),
  });
}

/**
 * R8.1–R8.3: composes the run of `month`. Per affiliate, it sums the outstanding amount of every
 * commission that became due before the month's first day (R8.2: due Feb 17 → March run; due
 * Mar 3 → April run), clawbacks (negative outstanding, R7.1) included; no minimum; a net ≤ 0 gives
 * no item (it carries). Affiliates without a complete tax form or a payout account are withheld,
 * their due waiting for a later run (nothing is lost). Lines are listed oldest due first.
 * @example composePayoutRunFromOutstanding({ month: '2027-03', outstanding: outstandingOf(commissions, entries), affiliates }) // { items: [...], withheld: [...] }
 */
export function composePayoutRunFromOutstanding(input: OutstandingRunInput): PayoutRun {
  const cutoff = monthStart(input.month);
  const locked = new Set(input.lockedCommissionIds ?? []);

  // Lines carry their due instant while composing so an item lists its commissions oldest first.
  const linesByAffiliate = new Map<string, (PayoutLine & { dueAt: Instant })[]>();
  for (const commission of input.outstanding) {
    invariant(Number.isSafeInteger(commission.outstandingMinor), `Commission ${commission.commissionId} has an invalid outstanding amount.`);
    if (commission.status !== 'active' || commission.dueAt >= cutoff || (locked.size > 0 && locked.has(commission.commissionId))) continue;
    const amountMinor = commission.outstandingMinor;
    if (amountMinor === 0) continue;
    const lines = linesByAffiliate.get(commission.affiliateId);
    const line = { commissionId: commission.commissionId, amountMinor, dueAt: commission.dueAt };
    if (lines) lines.push(line);
    else linesByAffiliate.set(commission.affiliateId, [line]);
  }

  const payees = new Map<string, PayeeFact>();
  for (const payee of input.affiliates) payees.set(payee.id, payee);
  const items: PayoutItem[] = [];
  const withheld: WithheldItem[] = [];
  const affiliateIds = [...linesByAffiliate.keys()].sort();
  for (const affiliateId of affiliateIds) {
    const sorted = (linesByAffiliate.get(affiliateId) ?? []).sort((a, b) => a.dueAt - b.dueAt || (a.commissionId < b.commissionId ? -1 : a.commissionId > b.commissionId ? 1 : 0));
    const lines: PayoutLine[] = [];
    const commissionIds: string[] = [];
    let net = 0;
    for (let index = 0; index < sorted.length; index += 1) {
      const line = sorted[index] as PayoutLine & { dueAt: Instant };
      // Style §5: a commission offered twice would be paid twice. Sorted by (due, id), copies of
      // one commission's row (a join that fans out) sit side by side.
      invariant(index === 0 || (sorted[index - 1] as PayoutLine).commissionId !== line.commissionId, `Commission ${line.commissionId} is offered to the run twice.`);
      lines.push({ commissionId: line.commissionId, amountMinor: line.amountMinor });
      commissionIds.push(line.commissionId);
      net += line.amountMinor;
    }
    if (net <= 0) continue; // R8.1: nothing to pay; the negative balance carries to later runs.
    const payee = payees.get(affiliateId);
    const reasons: WithholdReason[] = [];
    if (!payee?.taxFormComplete) reasons.push('tax_form_missing');
    if (!payee?.payoutAccount) reasons.push('payout_account_missing');
    if (reasons.length > 0) withheld.push({ affiliateId, amountMinor: net, reasons, commissionIds });
    else items.push({ affiliateId, amountMinor: net, commissionIds, lines });
  }
  return { month: input.month, cutoff, items, withheld };
}

/**
 * R8.4/R7.1: the 'payout' entries to append when an item is confirmed paid: one per line, of
 * −(line amount), so each included commission's outstanding drops by what was sent and `paid`
 * grows by exactly the item's amount. A failed item appends nothing and stays due.
 * @example payoutEntries(item, { runId: 'run_2027_03', at: Date.UTC(2027, 2, 16) })
 */
export function payoutEntries(item: PayoutItem, options: { runId: string; at: Instant; commissions?: ReadonlyMap<string, Commission>; ids?: IdSource }): LedgerEntry[] {
  const ids = options.ids ?? deterministicIds;
  let total = 0;
  const entries = item.lines.map((line): LedgerEntry => {
    total += line.amountMinor;
    const commission = options.commissions?.get(line.commissionId);
    if (commission) {
      invariant(commission.affiliateId === item.affiliateId, `Line ${line.commissionId} belongs to another affiliate.`);
      invariant(options.at >= commission.dueAt, `Commission ${line.commissionId} is paid before it is due.`);
    }
    return {
      id: ids.entry(`${line.commissionId}.payout.${options.runId}`),
      commissionId: line.commissionId,
      affiliateId: item.affiliateId,
      type: 'payout',
      amountMinor: -line.amountMinor,
      at: options.at,
      reason: 'payout',
      ref: options.runId,
    };
  });
  // Style §5: a payout item equals the sum of its entries.
  invariant(total === item.amountMinor && total > 0, `Payout item for ${item.affiliateId} does not equal the sum of its lines.`, { total, amount: item.amountMinor });
  return entries;
}
