// Rows of the ledger tables ↔ the domain's Commission and LedgerEntry. The only place that maps
// them, so every reader (balances, payouts, reports) sees the same objects.
import type { Commission, CommissionBasis, LedgerEntry } from '../domain/index.js';
import { commissions, ledgerEntries } from './schema.js';

export type CommissionRow = typeof commissions.$inferSelect;
export type EntryRow = typeof ledgerEntries.$inferSelect;

export function toCommission(row: CommissionRow): Commission {
  return {
    id: row.id,
    kind: row.kind as Commission['kind'],
    affiliateId: row.affiliateId,
    paymentId: row.paymentId,
    subscriptionId: row.subscriptionId,
    customerId: row.customerId,
    amountMinor: row.amount,
    rateBps: row.rateBps,
    tierKey: row.tierKey,
    earnedAt: row.earnedAt.getTime(),
    dueAt: row.dueAt.getTime(),
    status: row.status as Commission['status'],
    reason: row.reason as Commission['reason'],
    sourceCommissionId: row.sourceCommissionId,
    basis: row.basis as CommissionBasis,
  };
}

export function commissionRow(c: Commission, programId: string, currency: string, createdAt: Date): CommissionRow {
  return {
    id: c.id,
    programId,
    affiliateId: c.affiliateId,
    kind: c.kind,
    paymentId: c.paymentId,
    subscriptionId: c.subscriptionId,
    customerId: c.customerId,
    amount: c.amountMinor,
    currency,
    rateBps: c.rateBps,
    tierKey: c.tierKey,
    earnedAt: new Date(c.earnedAt),
    dueAt: new Date(c.dueAt),
    status: c.status,
    reason: c.reason,
    sourceCommissionId: c.sourceCommissionId,
    basis: c.basis,
    createdAt,
  };
}

export function toEntry(row: EntryRow): LedgerEntry {
  return {
    id: row.id,
    commissionId: row.commissionId,
    affiliateId: row.affiliateId,
    type: row.type as LedgerEntry['type'],
    amountMinor: row.amount,
    at: row.at.getTime(),
    reason: row.reason as LedgerEntry['reason'],
    ref: row.ref,
  };
}

/**
 * The row of entry `e` of `commission` in program `programId`: it repeats the commission's due
 * instant, and its program and affiliate must be the commission's, as the entries' foreign key
 * requires (drizzle/0011). An entry whose affiliate is not its commission's is a bug of the caller,
 * refused here before the database would.
 */
export function entryRow(e: LedgerEntry, commission: Pick<Commission, 'id' | 'affiliateId' | 'dueAt'>, programId: string, createdAt: Date): EntryRow {
  if (commission.id !== e.commissionId || commission.affiliateId !== e.affiliateId) {
    throw new Error(`Entry ${e.id} of commission ${e.commissionId} (affiliate ${e.affiliateId}) given commission ${commission.id} (affiliate ${commission.affiliateId}).`);
  }
  return {
    id: e.id,
    programId,
    commissionId: e.commissionId,
    affiliateId: e.affiliateId,
    type: e.type,
    amount: e.amountMinor,
    at: new Date(e.at),
    dueAt: new Date(commission.dueAt),
    reason: e.reason,
    ref: e.ref,
    createdAt,
  };
}

/**
 * The rows of `entries`, each of one of `commissions` (the new ones and those it reverses or
 * pays), by commission id; an entry whose commission is not among them is a bug of the caller.
 */
export function entryRows(entries: readonly LedgerEntry[], commissions: Iterable<Pick<Commission, 'id' | 'affiliateId' | 'dueAt'>>, programId: string, createdAt: Date): EntryRow[] {
  const byId = new Map<string, Pick<Commission, 'id' | 'affiliateId' | 'dueAt'>>();
  for (const c of commissions) byId.set(c.id, c);
  return entries.map((e) => {
    const commission = byId.get(e.commissionId);
    if (!commission) throw new Error(`Entry ${e.id} is of commission ${e.commissionId}, which was not given.`);
    return entryRow(e, commission, programId, createdAt);
  });
}
