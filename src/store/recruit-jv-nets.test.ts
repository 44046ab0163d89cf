// Proves, on the backend this run targets, that the migration adding recruit_jv_nets (drizzle/0009)
// sums the JV entries recorded before it, and that the entries appended after it keep each
// recruiter's net per recruit equal to the ledger's sum (R6.3). statements.test.ts proves recruitsOf
// equal to the domain over random ledgers; this is the migration's backfill and its trigger.
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backend } from '../../test/support/db.js';
import { databaseBefore, insertEntriesBefore0011, migrateThrough, type Cleanups } from '../../test/support/migrations.js';
import type { Database } from './db.js';
import { commissions, ledgerEntries } from './schema.js';

const cleanups: Cleanups = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const at = new Date('2027-03-01T12:00:00Z');
const later = new Date('2027-04-01T12:00:00Z');

/** A commission of `affiliateId` in prog_m: JV through `recruit`, or direct when it is null. */
const commission = (id: string, affiliateId: string, recruit: string | null) => ({
  id, programId: 'prog_m', affiliateId, kind: recruit ? 'jv' : 'direct', paymentId: `pay_${id}`, subscriptionId: `sub_${id}`, customerId: `cus_${id}`,
  amount: 1000, currency: 'usd', rateBps: 1000, tierKey: null, earnedAt: at, dueAt: later, status: 'active', reason: null, sourceCommissionId: null,
  basis: recruit ? { recruitAffiliateId: recruit } : {}, createdAt: at,
});
const entry = (id: string, commissionId: string, affiliateId: string, type: string, amount: number, when = at) => ({
  id, programId: 'prog_m', commissionId, affiliateId, type, amount, at: when, dueAt: later, reason: 'payment', ref: null, createdAt: when,
});

async function nets(database: Database) {
  const result = (await database.transaction((tx) =>
    tx.execute(sql`select recruiter_id, recruit_id, net::int as net, last_at from recruit_jv_nets order by 1, 2`),
  )) as unknown as { rows: Array<{ recruiter_id: string; recruit_id: string; net: number; last_at: Date | string }> };
  return result.rows.map((r) => ({ recruiter: r.recruiter_id, recruit: r.recruit_id, net: Number(r.net), lastAt: new Date(r.last_at).toISOString() }));
}

describe(`recruit_jv_nets migration on ${backend}`, () => {
  it('sums the JV entries recorded before it, then every entry appended after it', async () => {
    const database = await databaseBefore('0009_jv_recruit_nets', cleanups);
    await database.transaction(async (tx) => {
      await tx.insert(commissions).values([
        commission('com_jv1', 'aff_top', 'aff_mid'),
        commission('com_jv2', 'aff_top', 'aff_mid'),
        commission('com_jv3', 'aff_top', 'aff_new'),
        commission('com_direct', 'aff_top', null),
      ]);
      await tx.execute(
        insertEntriesBefore0011([
          entry('ent_1', 'com_jv1', 'aff_top', 'earn', 990),
          entry('ent_2', 'com_jv2', 'aff_top', 'earn', 500),
          entry('ent_3', 'com_jv2', 'aff_top', 'reverse', -200),
          entry('ent_4', 'com_jv1', 'aff_top', 'payout', -990), // paid is not part of the net
          entry('ent_5', 'com_direct', 'aff_top', 'earn', 4000), // a direct commission is not JV
          entry('ent_6', 'com_jv3', 'aff_other', 'earn', 70), // filed under another affiliate: no reader counts it
        ]),
      );
    });

    await migrateThrough(database, '0010_refunds_sale_affiliate', cleanups);
    expect(await nets(database)).toEqual([{ recruiter: 'aff_top', recruit: 'aff_mid', net: 1290, lastAt: at.toISOString() }]);
    // 0011's foreign key refuses an entry filed under another affiliate than its commission's (its
    // own test shows the migration stopping on one); this fixture's goes before it runs.
    await database.transaction((tx) => tx.execute(sql`delete from ledger_entries where id = 'ent_6'`));
    await database.migrate();

    // One statement appending to an existing row and starting another, as ingestion writes them.
    await database.transaction(async (tx) => {
      await tx.insert(commissions).values(commission('com_jv4', 'aff_top', 'aff_new'));
      await tx.insert(ledgerEntries).values([
        entry('ent_7', 'com_jv1', 'aff_top', 'reverse', -990, later),
        entry('ent_8', 'com_jv4', 'aff_top', 'earn', 300, later),
        entry('ent_9', 'com_direct', 'aff_top', 'reverse', -4000, later),
      ]);
    });
    expect(await nets(database)).toEqual([
      { recruiter: 'aff_top', recruit: 'aff_mid', net: 300, lastAt: later.toISOString() },
      { recruiter: 'aff_top', recruit: 'aff_new', net: 300, lastAt: later.toISOString() },
    ]);

    // A failed statement counts nothing: the duplicate id rolls the whole insert back.
    await expect(database.transaction((tx) => tx.insert(ledgerEntries).values([entry('ent_10', 'com_jv4', 'aff_top', 'earn', 1), entry('ent_8', 'com_jv4', 'aff_top', 'earn', 1)]))).rejects.toThrow();
    expect((await nets(database)).map((r) => r.net)).toEqual([300, 300]);
  });
});
