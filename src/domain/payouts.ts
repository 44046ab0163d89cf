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
 * R8.1–R8.3: composes the run of `month`. Per affiliate, it sums the outstanding amount of every
 * commission that became due before the month's first day (R8.2: due Feb 17 → March run; due
 * Mar 3 → April run), clawbacks (negative outstanding, R7.1) included; no minimum; a net ≤ 0 gives
 * no item (it carries). Affiliates without a complete tax form or a payout account are withheld,
 * their due waiting for a later run (nothing is lost).
 * @example composePayoutRun({ month: '2027-03', commissions, entries, affiliates }) // { items: [...], withheld: [...] }
 */
export function composePayoutRun(input: PayoutRunInput): PayoutRun {
  const cutoff = monthStart(input.month);
  const locked = new Set(input.lockedCommissionIds ?? []);
  const outstanding = new Map<string, MinorUnits>();
  for (const entry of input.entries) outstanding.set(entry.commissionId, (outstanding.get(entry.commissionId) ?? 0) + entry.amountMinor);

  // Lines carry their due instant while composing so an item lists its commissions oldest first.
  const linesByAffiliate = new Map<string, (PayoutLine & { dueAt: Instant })[]>();
  for (const commission of input.commissions) {
    if (commission.status !== 'active' || commission.dueAt >= cutoff || locked.has(commission.id)) continue;
    const amountMinor = outstanding.get(commission.id) ?? 0;
    if (amountMinor === 0) continue;
    const lines = linesByAffiliate.get(commission.affiliateId);
    const line = { commissionId: commission.id, amountMinor, dueAt: commission.dueAt };
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
    const lines: PayoutLine[] = sorted.map((line) => ({ commissionId: line.commissionId, amountMinor: line.amountMinor }));
    let net = 0;
    for (const line of lines) net += line.amountMinor;
    if (net <= 0) continue; // R8.1: nothing to pay; the negative balance carries to later runs.
    const commissionIds = lines.map((line) => line.commissionId);
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
