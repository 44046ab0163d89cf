// Proves, on the backend this run targets, that balanceOf (summed by the database) equals the
// domain's `balances` over the affiliate's ledger as affiliateLedger reads it (R7.1, style §5), on
// random ledgers with entries and due dates on either side of now, to the microsecond.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { backend, openTestDatabase } from '../../test/support/db.js';
import { balances, DEFAULT_PLAN } from '../domain/index.js';
import type { Database } from '../store/db.js';
import { commissions, ledgerEntries, programs } from '../store/schema.js';
import { affiliateLedger } from './ledger-store.js';
import type { ProgramRow } from './programs.js';
import { balanceOf } from './statements.js';

const DAY = 86_400_000;
const NOW = new Date('2028-07-02T00:00:00.000Z');
const created = new Date('2027-01-01T00:00:00Z');

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

interface Instant {
  offsetMs: number;
  micros: number;
}
/** An instant near now: whole days and the millisecond either side of it, plus 0–999 microseconds. */
const instant: fc.Arbitrary<Instant> = fc.record({
  offsetMs: fc.constantFrom(-40 * DAY, -DAY, -1, 0, 1, DAY, 40 * DAY),
  micros: fc.constantFrom(0, 0, 1, 500, 999),
});
const stamp = (i: Instant) => `${new Date(NOW.getTime() + i.offsetMs).toISOString().slice(0, -1)}${String(i.micros).padStart(3, '0')}Z`;

const ledgerArbitrary = fc.record({
  commissions: fc.array(
    fc.record({
      // Mostly the affiliate under test in the program under test; some another's, some another program's.
      affiliate: fc.constantFrom(0, 0, 0, 1),
      program: fc.constantFrom(0, 0, 0, 1),
      due: instant,
      rejected: fc.boolean(),
    }),
    { maxLength: 12 },
  ),
  entries: fc.array(
    fc.record({
      commission: fc.nat(),
      type: fc.constantFrom('earn', 'reverse', 'payout'),
      amount: fc.integer({ min: -250_000, max: 250_000 }),
      at: instant,
      // Rows the store never writes (an entry filed under another affiliate or program than its
      // commission's): both readers must still agree on them.
      strayAffiliate: fc.nat(9).map((n) => n === 0),
      strayProgram: fc.nat(9).map((n) => n === 0),
    }),
    { maxLength: 30 },
  ),
});
type Ledger = typeof ledgerArbitrary extends fc.Arbitrary<infer T> ? T : never;

let run = 0;
const program = (id: string): ProgramRow => ({
  id, slug: id, name: id, currency: 'usd', landingUrl: 'https://x.example', cookieDays: 30, holdDays: 45, refundDays: 30, jvRateBps: 1000,
  planName: 'default', plan: DEFAULT_PLAN, termsVersion: 'v1', termsText: '', testClockId: null, createdAt: created, updatedAt: created,
});

/** Stores a ledger under fresh ids (two programs, two affiliates); returns them. */
async function store(ledger: Ledger) {
  run += 1;
  const programIds = [`prog_bal${run}a`, `prog_bal${run}b`];
  const affiliateIds = [`aff_bal${run}a`, `aff_bal${run}b`];
  await database.transaction(async (tx) => {
    await tx.insert(programs).values(programIds.map(program));
    const rows = ledger.commissions.map((c, index) => ({
      id: `com_bal${run}_${index}`, programId: programIds[c.program]!, affiliateId: affiliateIds[c.affiliate]!, kind: 'direct', paymentId: `pay_${index}`,
      subscriptionId: `sub_${index}`, customerId: `cus_${index}`, amount: 1000, currency: 'usd', rateBps: 2000, tierKey: 'tier_1',
      earnedAt: sql`${stamp(c.due)}::timestamptz - interval '45 days'`, dueAt: sql`${stamp(c.due)}::timestamptz`,
      status: c.rejected ? 'rejected' : 'active', reason: null, sourceCommissionId: null, basis: {}, createdAt: created,
    }));
    if (rows.length > 0) await tx.insert(commissions).values(rows);
    const entries = ledger.commissions.length === 0 ? [] : ledger.entries.map((e, index) => {
      const owner = ledger.commissions[e.commission % ledger.commissions.length]!;
      return {
        id: `ent_bal${run}_${index}`, commissionId: `com_bal${run}_${e.commission % ledger.commissions.length}`,
        programId: programIds[e.strayProgram ? 1 - owner.program : owner.program]!, affiliateId: affiliateIds[e.strayAffiliate ? 1 - owner.affiliate : owner.affiliate]!,
        type: e.type, amount: e.amount, at: sql`${stamp(e.at)}::timestamptz`, reason: 'payment', ref: null, createdAt: created,
      };
    });
    if (entries.length > 0) await tx.insert(ledgerEntries).values(entries);
  });
  return { programIds, affiliateIds };
}

/** The oracle: the domain's derivation over everything affiliateLedger loads. */
async function domainBalance(programId: string, affiliateId: string) {
  return database.transaction(async (tx) => {
    const ledger = await affiliateLedger(tx, programId, affiliateId);
    return balances(ledger.entries, ledger.commissions, NOW.getTime());
  });
}

describe(`balanceOf on ${backend}`, () => {
  it('equals the domain’s balances over the affiliate’s ledger, for random ledgers', async () => {
    await fc.assert(
      fc.asyncProperty(ledgerArbitrary, async (ledger) => {
        const { programIds, affiliateIds } = await store(ledger);
        for (const programId of programIds) {
          for (const affiliateId of affiliateIds) {
            const summed = await database.transaction((tx) => balanceOf(tx, program(programId), affiliateId, NOW));
            expect(summed).toEqual(await domainBalance(programId, affiliateId));
          }
        }
      }),
      { numRuns: backend === 'pglite' ? 60 : 100 },
    );
  });

  it('counts an entry stamped within now’s millisecond and makes a commission due within it (the drivers read whole milliseconds)', async () => {
    const at = { offsetMs: 0, micros: 999 };
    const ledger: Ledger = {
      commissions: [
        { affiliate: 0, program: 0, due: at, rejected: false },
        { affiliate: 0, program: 0, due: { offsetMs: 1, micros: 0 }, rejected: false },
      ],
      entries: [
        { commission: 0, type: 'earn', amount: 700, at, strayAffiliate: false, strayProgram: false },
        { commission: 1, type: 'earn', amount: 300, at, strayAffiliate: false, strayProgram: false },
        { commission: 1, type: 'reverse', amount: -50, at: { offsetMs: 1, micros: 0 }, strayAffiliate: false, strayProgram: false },
      ],
    };
    const { programIds, affiliateIds } = await store(ledger);
    const summed = await database.transaction((tx) => balanceOf(tx, program(programIds[0]!), affiliateIds[0]!, NOW));
    expect(summed).toEqual({ reserve: 300, due: 700, paid: 0 });
    expect(summed).toEqual(await domainBalance(programIds[0]!, affiliateIds[0]!));
  });

  it('answers zeros for an affiliate without a ledger', async () => {
    const summed = await database.transaction((tx) => balanceOf(tx, program('prog_none'), 'aff_none', NOW));
    expect(summed).toEqual({ reserve: 0, due: 0, paid: 0 });
    expect(Object.is(summed.paid, 0)).toBe(true);
  });
});
