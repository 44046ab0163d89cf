// Proves, on the backend this run targets, that the migration giving each refund its sale's affiliate
// (drizzle/0010) fills it for the refunds recorded before it, that the database keeps it for every
// refund after it (on insert, and when a reassignment moves the sale, R3.2), and that a seller's
// tier totals, which now find refunds by it, net the refunds of the sales that are theirs and only
// those (R5.1/R5.2). statements.test.ts proves the tier totals equal to the domain over random books.
import { afterAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { backend } from '../../test/support/db.js';
import { databaseBefore, type Cleanups } from '../../test/support/migrations.js';
import { loadAffiliateBook } from '../app/facts.js';
import type { Database } from './db.js';
import { payments, refunds } from './schema.js';

const cleanups: Cleanups = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const paidAt = new Date('2027-03-01T12:00:00Z');
const refundedAt = new Date('2027-03-05T12:00:00Z');
const now = new Date('2027-06-01T12:00:00Z');

const payment = (id: string, saleAffiliateId: string | null) => ({
  programId: 'prog_r', externalId: id, subscriptionId: `sub_${id}`, customerId: `cus_${id}`, amount: 10_000, currency: 'usd', fullPrice: true,
  paidAt, saleAffiliateId, recordedAt: paidAt,
});

/** Each refund's carried sale affiliate, by id. */
async function carried(database: Database): Promise<Record<string, string | null>> {
  const result = (await database.transaction((tx) => tx.execute(sql`select id, sale_affiliate_id from refunds order by id`))) as unknown as {
    rows: Array<{ id: string; sale_affiliate_id: string | null }>;
  };
  return Object.fromEntries(result.rows.map((r) => [r.id, r.sale_affiliate_id]));
}

/** The affiliate's tier revenue for a payment at `now` (30 days' hold), as an event's facts measure it. */
async function revenue(database: Database, affiliateId: string): Promise<number> {
  const book = await database.transaction((tx) => loadAffiliateBook(tx, 'prog_r', affiliateId, now, 30, null));
  return book.sales.totals.revenueMinor;
}

describe(`refunds' sale affiliate migration on ${backend}`, () => {
  it('fills the refunds recorded before it, then keeps every refund on its sale’s affiliate, through a reassignment', async () => {
    const database = await databaseBefore('0010_refunds_sale_affiliate', cleanups);
    await database.transaction(async (tx) => {
      await tx.insert(payments).values([payment('pay_a', 'aff_a'), payment('pay_none', null), payment('pay_b', 'aff_b')]);
      // The table as it was: no sale_affiliate_id yet.
      await tx.execute(sql`insert into refunds (id, program_id, payment_id, kind, amount, at, created_at) values
        ('rfd_1', 'prog_r', 'pay_a', 'refund', 3000, ${refundedAt.toISOString()}::timestamptz, ${refundedAt.toISOString()}::timestamptz),
        ('rfd_2', 'prog_r', 'pay_none', 'refund', 1000, ${refundedAt.toISOString()}::timestamptz, ${refundedAt.toISOString()}::timestamptz),
        ('rfd_3', 'prog_other', 'pay_a', 'refund', 500, ${refundedAt.toISOString()}::timestamptz, ${refundedAt.toISOString()}::timestamptz)`);
    });

    await database.migrate();
    // A refund filed under another program is not of this program's payment.
    expect(await carried(database)).toEqual({ rfd_1: 'aff_a', rfd_2: null, rfd_3: null });
    expect([await revenue(database, 'aff_a'), await revenue(database, 'aff_b')]).toEqual([7_000, 10_000]);

    // A refund inserted after it takes its payment's sale affiliate, whatever the writer gave it.
    await database.transaction((tx) =>
      tx.insert(refunds).values([
        { id: 'rfd_4', programId: 'prog_r', paymentId: 'pay_a', kind: 'dispute', amount: 2000, at: refundedAt, createdAt: refundedAt, saleAffiliateId: 'aff_b' },
        { id: 'rfd_5', programId: 'prog_r', paymentId: 'pay_b', kind: 'refund', amount: 10_000, at: refundedAt, createdAt: refundedAt },
      ]),
    );
    expect(await carried(database)).toEqual({ rfd_1: 'aff_a', rfd_2: null, rfd_3: null, rfd_4: 'aff_a', rfd_5: 'aff_b' });
    // pay_b is refunded in full: it counts for nothing, customer included.
    expect([await revenue(database, 'aff_a'), await revenue(database, 'aff_b')]).toEqual([5_000, 0]);

    // A reassignment moves the sale, and its refunds with it; another change of the payment moves nothing.
    await database.transaction((tx) => tx.update(payments).set({ saleAffiliateId: 'aff_b' }).where(eq(payments.externalId, 'pay_a')));
    await database.transaction((tx) => tx.update(payments).set({ payerAffiliateId: 'aff_c' }).where(eq(payments.externalId, 'pay_a')));
    expect(await carried(database)).toEqual({ rfd_1: 'aff_b', rfd_2: null, rfd_3: null, rfd_4: 'aff_b', rfd_5: 'aff_b' });
    expect([await revenue(database, 'aff_a'), await revenue(database, 'aff_b')]).toEqual([0, 5_000]);

    // A sale taken from every affiliate takes its refunds along.
    await database.transaction((tx) => tx.update(payments).set({ saleAffiliateId: null }).where(eq(payments.externalId, 'pay_a')));
    expect(await carried(database)).toEqual({ rfd_1: null, rfd_2: null, rfd_3: null, rfd_4: null, rfd_5: 'aff_b' });
    expect(await revenue(database, 'aff_b')).toBe(0);
  });
});
