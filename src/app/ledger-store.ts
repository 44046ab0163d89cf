// Reads and appends the ledger (R7): commissions are inserted once, entries only appended.
import { and, eq, inArray } from 'drizzle-orm';
import { insertRows, runWrites, type Bound } from '../store/shapes.js';
import type { Tx } from '../store/db.js';
import { commissions, ledgerEntries } from '../store/schema.js';
import { commissionRow, entryRows, toCommission, toEntry } from '../store/ledger-rows.js';
import type { Commission, LedgerEntry } from '../domain/index.js';

/**
 * Inserts `newCommissions` and `entries`. Each entry is of a new commission or of one in
 * `existing` (a reversal, a payout): its row repeats that commission's due instant (entryRow).
 */
export async function appendLedger(
  tx: Tx,
  program: { id: string; currency: string },
  newCommissions: readonly Commission[],
  entries: readonly LedgerEntry[],
  recordedAt: Date,
  existing: readonly Commission[] = [],
): Promise<void> {
  for (const insert of ledgerInserts(program, newCommissions, entries, recordedAt, existing)) await runWrites(tx, [insert]);
}

/** The INSERTs of appendLedger as statements, for a caller that runs them with its other writes (runWrites). */
export function ledgerInserts(
  program: { id: string; currency: string },
  newCommissions: readonly Commission[],
  entries: readonly LedgerEntry[],
  recordedAt: Date,
  existing: readonly Commission[] = [],
): Bound[] {
  const rows = entryRows(entries, [...existing, ...newCommissions], program.id, recordedAt);
  const statements: Bound[] = [];
  for (const part of chunks(newCommissions)) statements.push(insertRows(commissions, part.map((c) => commissionRow(c, program.id, program.currency, recordedAt))));
  for (const part of chunks(rows)) statements.push(insertRows(ledgerEntries, part));
  return statements;
}

/**
 * A reassignment can append a whole book's reversals: in statements of at most this many rows,
 * so that one stays far below PostgreSQL's 65,535 parameters (18 columns a commission).
 */
const ROWS_PER_INSERT = 1_000;

function chunks<T>(items: readonly T[]): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_INSERT) parts.push(items.slice(i, i + ROWS_PER_INSERT));
  return parts;
}

export async function commissionsOfPayments(tx: Tx, programId: string, paymentIds: string[]): Promise<Commission[]> {
  if (paymentIds.length === 0) return [];
  const rows = await tx
    .select()
    .from(commissions)
    .where(and(eq(commissions.programId, programId), inArray(commissions.paymentId, paymentIds)))
    .orderBy(commissions.createdAt, commissions.id);
  return rows.map(toCommission);
}

export async function entriesOf(tx: Tx, commissionIds: string[]): Promise<LedgerEntry[]> {
  if (commissionIds.length === 0) return [];
  const rows = await tx.select().from(ledgerEntries).where(inArray(ledgerEntries.commissionId, commissionIds)).orderBy(ledgerEntries.at, ledgerEntries.createdAt, ledgerEntries.id);
  return rows.map(toEntry);
}

/** One affiliate's commissions and entries in a program (balances, tier cards, explanations). */
export async function affiliateLedger(tx: Tx, programId: string, affiliateId: string): Promise<{ commissions: Commission[]; entries: LedgerEntry[] }> {
  const commissionRows = await tx
    .select()
    .from(commissions)
    .where(and(eq(commissions.programId, programId), eq(commissions.affiliateId, affiliateId)));
  const entryRows = await tx
    .select()
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.programId, programId), eq(ledgerEntries.affiliateId, affiliateId)));
  return { commissions: commissionRows.map(toCommission), entries: entryRows.map(toEntry) };
}
