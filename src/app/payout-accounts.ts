// R8.3b / R9.4: an affiliate's PayPal payout account. One per affiliate, across programs.
import { eq } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { payoutAccounts } from '../store/schema.js';
import type { Clock } from './clock.js';
import { findAffiliate } from './affiliates.js';

export type PayoutAccountRow = typeof payoutAccounts.$inferSelect;

export interface PayoutAccountView {
  paypal_email: string;
  updated_at: string;
}

export const payoutAccountView = (row: PayoutAccountRow): PayoutAccountView => ({
  paypal_email: row.paypalEmail,
  updated_at: row.updatedAt.toISOString(),
});

/**
 * Connects (or replaces) the affiliate's PayPal account. Items of runs already composed keep the
 * receiver they were reviewed and approved with; the next run uses the new one.
 */
export async function setPayoutAccount(tx: Tx, clock: Clock, affiliateId: string, paypalEmail: string): Promise<PayoutAccountRow> {
  await findAffiliate(tx, affiliateId);
  const row: PayoutAccountRow = { affiliateId, paypalEmail: paypalEmail.trim(), updatedAt: clock.now() };
  await tx
    .insert(payoutAccounts)
    .values(row)
    .onConflictDoUpdate({ target: payoutAccounts.affiliateId, set: { paypalEmail: row.paypalEmail, updatedAt: row.updatedAt } });
  return row;
}

export async function findPayoutAccount(tx: Tx, affiliateId: string): Promise<PayoutAccountRow | null> {
  const rows = await tx.select().from(payoutAccounts).where(eq(payoutAccounts.affiliateId, affiliateId));
  return rows[0] ?? null;
}
