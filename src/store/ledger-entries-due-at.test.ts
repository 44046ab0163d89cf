// Proves, on the backend this run targets, that the migration giving each ledger entry its
// commission's due instant (drizzle/0011) fills it for the entries recorded before it, that the
// database refuses from then on every entry that is not its commission's (another program, another
// affiliate, another due instant) and writes nothing of the statement, and that a database holding
// such an entry stops the migration with nothing changed. statements.test.ts proves balanceOf, which
// sums the entries alone since, equal to the domain's balances over random ledgers (R7.1).
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backend } from '../../test/support/db.js';
import { databaseBefore, insertEntriesBefore0011, type Cleanups } from '../../test/support/migrations.js';
import { balances, DEFAULT_PLAN } from '../domain/index.js';
import { affiliateLedger } from '../app/ledger-store.js';
import type { ProgramRow } from '../app/programs.js';
import { balanceOf } from '../app/statements.js';
import type { Database } from './db.js';
import { commissions, ledgerEntries } from './schema.js';

const cleanups: Cleanups = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const earned = new Date('2027-03-01T12:00:00Z');
const dueEarly = new Date('2027-04-15T12:00:00.000Z');
const dueLate = new Date('2027-06-15T12:00:00.000Z');
const now = new Date('2027-05-01T00:00:00Z');
const program = { id: 'prog_l', holdDays: 45, plan: DEFAULT_PLAN } as unknown as ProgramRow;

const commission = (id: string, programId: string, affiliateId: string, dueAt: Date) => ({
  id, programId, affiliateId, kind: 'direct', paymentId: `pay_${id}`, subscriptionId: `sub_${id}`, customerId: `cus_${id}`,
  amount: 1000, currency: 'usd', rateBps: 2000, tierKey: 'tier_1', earnedAt: earned, dueAt, status: 'active', reason: null, sourceCommissionId: null, basis: {}, createdAt: earned,
});

/** Entries of the table before drizzle/0011, earned when their commissions were. */
const oldEntries = (rows: Array<[id: string, commissionId: string, programId: string, affiliateId: string, type: string, amount: number]>) =>
  insertEntriesBefore0011(rows.map(([id, commissionId, programId, affiliateId, type, amount]) => ({ id, commissionId, programId, affiliateId, type, amount, at: earned, reason: 'payment', ref: null, createdAt: earned })));

async function rows<T>(database: Database, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await database.transaction((tx) => tx.execute(query))) as unknown as { rows: T[] }).rows;
}

/** PostgreSQL's own message of a failed statement (drizzle wraps it as the cause). */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    let e = error as { message?: string; cause?: unknown };
    while (e.cause) e = e.cause as typeof e;
    return e.message ?? String(e);
  }
  throw new Error('expected a failure');
}

describe(`ledger entries' due instant migration on ${backend}`, () => {
  it('fills the entries recorded before it; balances sum them alone as the domain does; later entries must be their commission’s', async () => {
    const database = await databaseBefore('0011_ledger_entries_due_at', cleanups);
    await database.transaction(async (tx) => {
      await tx.insert(commissions).values([
        commission('com_early', 'prog_l', 'aff_a', dueEarly),
        commission('com_late', 'prog_l', 'aff_a', dueLate),
        commission('com_b', 'prog_l', 'aff_b', dueEarly),
      ]);
      await tx.execute(
        oldEntries([
          ['ent_1', 'com_early', 'prog_l', 'aff_a', 'earn', 700],
          ['ent_2', 'com_early', 'prog_l', 'aff_a', 'payout', -500],
          ['ent_3', 'com_late', 'prog_l', 'aff_a', 'earn', 300],
          ['ent_4', 'com_late', 'prog_l', 'aff_a', 'reverse', -50],
          ['ent_5', 'com_b', 'prog_l', 'aff_b', 'earn', 4000],
        ]),
      );
    });

    await database.migrate();
    const filled = await rows<{ id: string; due_at: Date | string }>(database, sql`select id, due_at from ledger_entries order by id`);
    expect(filled.map((r) => [r.id, new Date(r.due_at).toISOString()])).toEqual([
      ['ent_1', dueEarly.toISOString()],
      ['ent_2', dueEarly.toISOString()],
      ['ent_3', dueLate.toISOString()],
      ['ent_4', dueLate.toISOString()],
      ['ent_5', dueEarly.toISOString()],
    ]);
    // R7.1 at a now between the two due instants: com_early is due (700 − 500 paid), com_late in reserve (300 − 50).
    const summed = await database.transaction((tx) => balanceOf(tx, program, 'aff_a', now));
    expect(summed).toEqual({ reserve: 250, due: 200, paid: 500 });
    const ledger = await database.transaction((tx) => affiliateLedger(tx, 'prog_l', 'aff_a'));
    expect(summed).toEqual(balances(ledger.entries, ledger.commissions, now.getTime()));

    // From now on an entry is its commission's: another program, another affiliate or another due
    // instant is refused, with the rest of its statement.
    const entry = (id: string, over: Partial<typeof ledgerEntries.$inferInsert> = {}) => ({
      id, programId: 'prog_l', commissionId: 'com_late', affiliateId: 'aff_a', type: 'reverse', amount: -10, at: now, dueAt: dueLate, reason: 'refund', ref: null, createdAt: now, ...over,
    });
    for (const stray of [{ affiliateId: 'aff_b' }, { programId: 'prog_other' }, { dueAt: dueEarly }, { commissionId: 'com_none' }]) {
      const message = await failure(database.transaction((tx) => tx.insert(ledgerEntries).values([entry('ent_ok'), entry('ent_stray', stray)])));
      expect(message).toMatch(/ledger_entries_commission_key/);
    }
    expect((await rows<{ n: number }>(database, sql`select count(*)::int as n from ledger_entries`))[0]!.n).toBe(5);
    await database.transaction((tx) => tx.insert(ledgerEntries).values(entry('ent_ok')));
    expect(await database.transaction((tx) => balanceOf(tx, program, 'aff_a', now))).toEqual({ reserve: 240, due: 200, paid: 500 });
  });

  it('stops on a database holding an entry filed under another affiliate than its commission’s, and changes nothing', async () => {
    const database = await databaseBefore('0011_ledger_entries_due_at', cleanups);
    await database.transaction(async (tx) => {
      await tx.insert(commissions).values(commission('com_a', 'prog_l', 'aff_a', dueEarly));
      await tx.execute(oldEntries([['ent_1', 'com_a', 'prog_l', 'aff_b', 'earn', 700]]));
    });
    const migrations = sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    const before = (await rows<{ n: number }>(database, migrations))[0]!.n;

    expect(await failure(database.migrate())).toMatch(/ledger_entries_commission_key/);
    expect((await rows<{ n: number }>(database, migrations))[0]!.n).toBe(before);
    const columns = await rows<{ column_name: string }>(database, sql`select column_name from information_schema.columns where table_name = 'ledger_entries' and column_name = 'due_at'`);
    expect(columns).toEqual([]);
    const constraints = await rows<{ conname: string }>(database, sql`select conname from pg_constraint where conname in ('commissions_ledger_key', 'ledger_entries_commission_key')`);
    expect(constraints).toEqual([]);
    expect(await rows(database, sql`select id, affiliate_id, amount::int from ledger_entries`)).toEqual([{ id: 'ent_1', affiliate_id: 'aff_b', amount: 700 }]);
  });
});
