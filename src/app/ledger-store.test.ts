// Proves, on the backend this run targets, that appendLedger stores a whole book's entries however
// many there are: a reassignment can append thousands, past the 65,535 parameters PostgreSQL takes
// in one statement (7,000 entries × 10 columns), so they go in statements of at most 1,000 rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backend, openTestDatabase } from '../../test/support/db.js';
import type { Database } from '../store/db.js';
import type { Commission, LedgerEntry } from '../domain/index.js';
import { appendLedger, entriesOf } from './ledger-store.js';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const at = Date.parse('2027-01-01T00:00:00Z');
const commission: Commission = {
  id: 'com_bulk',
  kind: 'direct',
  affiliateId: 'aff_bulk',
  paymentId: 'pay_bulk',
  subscriptionId: 'sub_bulk',
  customerId: 'cus_bulk',
  amountMinor: 7_000,
  rateBps: 10_000,
  tierKey: 'referral',
  earnedAt: at,
  dueAt: at + 45 * 86_400_000,
  status: 'active',
  reason: null,
  sourceCommissionId: null,
  basis: { source: { type: 'referral_code', code: 'bulk' }, binding: 'new', boundAt: at, interval: 'month', rateKind: 'first' } as Commission['basis'],
};

describe(`appendLedger on ${backend}`, () => {
  it('stores 7,000 entries of one commission, every one of them once', async () => {
    const entries: LedgerEntry[] = Array.from({ length: 7_000 }, (_, i) => ({
      id: `ent_bulk_${String(i).padStart(5, '0')}`,
      commissionId: commission.id,
      affiliateId: commission.affiliateId,
      type: i === 0 ? 'earn' : 'reverse',
      amountMinor: i === 0 ? 7_000 : -1,
      at: at + i,
      reason: i === 0 ? 'payment' : 'reassignment',
      ref: i === 0 ? null : `r${i}`,
    }));
    await database.transaction((tx) => appendLedger(tx, { id: 'prg_bulk', currency: 'usd' }, [commission], entries, new Date(at)));
    const stored = await database.transaction((tx) => entriesOf(tx, [commission.id]));
    expect(stored).toHaveLength(7_000);
    expect(stored).toEqual(entries);
    const sum = (await database.transaction((tx) => tx.execute(sql`select sum(amount)::int as s from ledger_entries where commission_id = ${commission.id}`))) as {
      rows: Array<{ s: number }>;
    };
    expect(sum.rows[0]!.s).toBe(1);
  }, 60_000);
});
