// Proves, on the backend this run targets, that balanceOf (summed by the database) equals the
// domain's `balances` over the affiliate's ledger as affiliateLedger reads it (R7.1, style §5), and
// that tierOf (the tier card, totals summed by the database) equals the domain's `tierAt` over the
// affiliate's whole tier book as loadSalesBook reads it (R5.1/R5.2/R5.6), and that listCommissions'
// status filter (decided by the database) lists exactly the commissions whose `commissionState` is
// the status asked (R7.1), on random ledgers with instants on either side of every boundary, to the
// microsecond.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { and, desc, eq, sql } from 'drizzle-orm';
import { backend, openTestDatabase } from '../../test/support/db.js';
import { addUtcMonths, balances, commissionState, commissionTotals, DEFAULT_PLAN, tierAt, tierForPayment, type CommissionBasis, type CommissionStatus, type Plan, type SalesBook, type TierStanding } from '../domain/index.js';
import type { Database, Tx } from '../store/db.js';
import { affiliates, commissions, ledgerEntries, payments, programs, refunds } from '../store/schema.js';
import { loadAffiliateBook, loadSalesBook } from './facts.js';
import { toCommission } from '../store/ledger-rows.js';
import { affiliateLedger, entriesOf } from './ledger-store.js';
import type { ProgramRow } from './programs.js';
import { balanceOf, listCommissions, recruitsOf, tierOf } from './statements.js';

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
      // The hold it was earned under: earned 45 days before due, or at due (a program without a hold).
      holdDays: fc.constantFrom(45, 45, 0),
      rejected: fc.boolean(),
      // A JV commission earned through recruit 0 or 1 (R6.3), or a direct one.
      recruit: fc.constantFrom(null, null, 0, 1),
    }),
    { maxLength: 12 },
  ),
  entries: fc.array(
    fc.record({
      commission: fc.nat(),
      type: fc.constantFrom('earn', 'reverse', 'payout'),
      // Mostly any amount; some equal and opposite, so that reversals cancel an earning exactly.
      amount: fc.oneof(fc.integer({ min: -250_000, max: 250_000 }), fc.constantFrom(1000, -1000, 500, -500)),
      at: instant,
      // Always filed under its commission's program and affiliate, with its due instant: the
      // entries' foreign key refuses anything else (drizzle/0011; src/store/ledger-entries-due-at.test.ts).
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

/** A commission's basis as the engine stores it (listCommissions renders its explanation). */
const basisOf = (recruitAffiliateId: string | null): CommissionBasis => ({
  source: { type: 'referral_code', code: 'bal', linkId: null },
  binding: 'new',
  boundAt: created.getTime(),
  interval: 'month',
  rateKind: recruitAffiliateId === null ? 'first' : 'jv',
  paymentAmountMinor: 5000,
  tier: { key: 'tier_1', trailingRevenueMinor: 0, distinctCustomers: 0 },
  recruitAffiliateId,
  selfReferralSignals: [],
});

/** Stores a ledger under fresh ids (two programs, two affiliates); returns them. */
async function store(ledger: Ledger) {
  run += 1;
  const programIds = [`prog_bal${run}a`, `prog_bal${run}b`];
  const affiliateIds = [`aff_bal${run}a`, `aff_bal${run}b`];
  await database.transaction(async (tx) => {
    await tx.insert(programs).values(programIds.map(program));
    const rows = ledger.commissions.map((c, index) => ({
      id: `com_bal${run}_${index}`, programId: programIds[c.program]!, affiliateId: affiliateIds[c.affiliate]!, kind: c.recruit === null ? 'direct' : 'jv', paymentId: `pay_${index}`,
      subscriptionId: `sub_${index}`, customerId: `cus_${index}`, amount: 1000, currency: 'usd', rateBps: 2000, tierKey: 'tier_1',
      // Whole milliseconds, as every instant the app writes (a list's cursor carries milliseconds).
      earnedAt: sql`date_trunc('milliseconds', ${stamp(c.due)}::timestamptz - ${c.holdDays} * interval '1 day')`, dueAt: sql`${stamp(c.due)}::timestamptz`,
      status: c.rejected ? 'rejected' : 'active', reason: null, sourceCommissionId: null,
      basis: basisOf(c.recruit === null ? null : `aff_rec${run}_${c.recruit}`), createdAt: created,
    }));
    if (rows.length > 0) await tx.insert(commissions).values(rows);
    const entries = ledger.commissions.length === 0 ? [] : ledger.entries.map((e, index) => {
      const owner = ledger.commissions[e.commission % ledger.commissions.length]!;
      return {
        id: `ent_bal${run}_${index}`, commissionId: `com_bal${run}_${e.commission % ledger.commissions.length}`,
        programId: programIds[owner.program]!, affiliateId: affiliateIds[owner.affiliate]!,
        type: e.type, amount: e.amount, at: sql`${stamp(e.at)}::timestamptz`, dueAt: sql`${stamp(owner.due)}::timestamptz`, reason: 'payment', ref: null, createdAt: created,
      };
    });
    if (entries.length > 0) await tx.insert(ledgerEntries).values(entries);
  });
  return { programIds, affiliateIds, recruitIds: [`aff_rec${run}_0`, `aff_rec${run}_1`] };
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
        { affiliate: 0, program: 0, due: at, holdDays: 45, rejected: false, recruit: null },
        { affiliate: 0, program: 0, due: { offsetMs: 1, micros: 0 }, holdDays: 45, rejected: false, recruit: null },
      ],
      entries: [
        { commission: 0, type: 'earn', amount: 700, at },
        { commission: 1, type: 'earn', amount: 300, at },
        { commission: 1, type: 'reverse', amount: -50, at: { offsetMs: 1, micros: 0 } },
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

/**
 * A ledger as payouts write it: a payout entry is never stamped before its commission is due
 * (payoutEntries refuses it, R8.1), which listCommissions relies on to skip commissions in hold.
 */
const payableLedgerArbitrary = ledgerArbitrary.map((ledger) => ({
  ...ledger,
  entries: ledger.entries.map((e) => {
    const owner = ledger.commissions[e.commission % Math.max(1, ledger.commissions.length)];
    const early = owner !== undefined && (e.at.offsetMs < owner.due.offsetMs || (e.at.offsetMs === owner.due.offsetMs && e.at.micros < owner.due.micros));
    return e.type === 'payout' && early ? { ...e, at: owner.due } : e;
  }),
}));

const STATUSES: CommissionStatus[] = ['reserve', 'due', 'paid', 'reversed', 'rejected'];

/** The oracle: each of the program's (or the affiliate's) commissions, newest first, with the domain's status at NOW. */
async function domainStatuses(programId: string, affiliateId?: string): Promise<Array<{ id: string; status: CommissionStatus }>> {
  return database.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(commissions)
      .where(and(eq(commissions.programId, programId), affiliateId ? eq(commissions.affiliateId, affiliateId) : undefined))
      .orderBy(desc(commissions.earnedAt), desc(commissions.id));
    const entries = await entriesOf(tx, rows.map((r) => r.id));
    return rows.map((r) => ({ id: r.id, status: commissionState(toCommission(r), entries, NOW.getTime()) }));
  });
}

describe(`listCommissions' status filter on ${backend}`, () => {
  it('lists exactly the commissions whose derived status is the one asked, page after page, for random ledgers', async () => {
    await fc.assert(
      fc.asyncProperty(payableLedgerArbitrary, async (ledger) => {
        const { programIds, affiliateIds } = await store(ledger);
        for (const programId of programIds) {
          for (const affiliateId of [undefined, affiliateIds[0]!]) {
            const oracle = await domainStatuses(programId, affiliateId);
            for (const status of STATUSES) {
              const expected = oracle.filter((c) => c.status === status).map((c) => c.id);
              // One page holding all, then pages of two following the cursor.
              const whole = await database.transaction((tx) => listCommissions(tx, program(programId), { affiliateId, status, limit: 100 }, NOW));
              expect(whole.rows.map((r) => r.id), `${status} in ${programId}${affiliateId ? ` of ${affiliateId}` : ''}`).toEqual(expected);
              expect(whole.rows.every((r) => r.status === status)).toBe(true);
              const paged: string[] = [];
              let cursor: { at: Date; id: string } | undefined;
              for (;;) {
                const page = await database.transaction((tx) => listCommissions(tx, program(programId), { affiliateId, status, limit: 2, cursor }, NOW));
                paged.push(...page.rows.map((r) => r.id));
                if (!page.more) break;
                const last = page.rows[page.rows.length - 1]!;
                cursor = { at: new Date(last.earned_at), id: last.id };
              }
              expect(paged).toEqual(expected);
            }
          }
        }
      }),
      {
        numRuns: backend === 'pglite' ? 40 : 80,
        // Besides the random ones: reversed exactly in full, reversed in part then paid, paid then
        // reversed in full, each at now's millisecond, and two paid at the instant they were earned.
        examples: [
          [
            {
              commissions: [
                ...[0, 1, 2].map(() => ({ affiliate: 0 as const, program: 0 as const, due: { offsetMs: -DAY, micros: 0 }, holdDays: 45 as const, rejected: false, recruit: null })),
                // Earned without a hold and paid at once: the program's last payout is at now.
                ...[-DAY, 0].map((offsetMs) => ({ affiliate: 0 as const, program: 0 as const, due: { offsetMs, micros: 0 }, holdDays: 0 as const, rejected: false, recruit: null })),
              ],
              entries: [
                { commission: 0, type: 'earn' as const, amount: 1000, at: { offsetMs: -40 * DAY, micros: 0 } },
                { commission: 0, type: 'reverse', amount: -1000, at: { offsetMs: 0, micros: 999 } },
                { commission: 1, type: 'earn', amount: 1000, at: { offsetMs: -40 * DAY, micros: 0 } },
                { commission: 1, type: 'reverse', amount: -500, at: { offsetMs: -DAY, micros: 0 } },
                { commission: 1, type: 'payout', amount: -500, at: { offsetMs: 0, micros: 0 } },
                { commission: 2, type: 'earn', amount: 1000, at: { offsetMs: -40 * DAY, micros: 0 } },
                { commission: 2, type: 'payout', amount: -1000, at: { offsetMs: -DAY, micros: 0 } },
                { commission: 2, type: 'reverse', amount: -1000, at: { offsetMs: 0, micros: 500 } },
                { commission: 3, type: 'earn', amount: 1000, at: { offsetMs: -DAY, micros: 0 } },
                { commission: 3, type: 'payout', amount: -1000, at: { offsetMs: -DAY, micros: 0 } },
                { commission: 4, type: 'earn', amount: 1000, at: { offsetMs: 0, micros: 0 } },
                { commission: 4, type: 'payout', amount: -1000, at: { offsetMs: 0, micros: 0 } },
              ],
            },
          ],
        ],
      },
    );
  });
});

/** After every instant of ledgerArbitrary: a now at which the projection counts every entry. */
const LATER = new Date(NOW.getTime() + 41 * DAY);

/** The oracle of R6.3: commissionTotals over each of the recruiter's JV commissions, earned less reversed at `now`, per recruit. */
async function domainJvNet(programId: string, recruiterId: string, now: Date): Promise<Map<string, number>> {
  return database.transaction(async (tx) => {
    const whole = await affiliateLedger(tx, programId, recruiterId);
    const net = new Map<string, number>();
    for (const c of whole.commissions) {
      if (c.kind !== 'jv' || !c.basis.recruitAffiliateId) continue;
      const totals = commissionTotals(whole.entries.filter((e) => e.commissionId === c.id), now.getTime());
      net.set(c.basis.recruitAffiliateId, (net.get(c.basis.recruitAffiliateId) ?? 0) + totals.earned - totals.reversed);
    }
    return net;
  });
}

describe(`recruitsOf's JV net on ${backend}`, () => {
  it('equals the domain’s earned less reversed over the recruiter’s JV commissions, per recruit, for random ledgers, from the projection and from the ledger (R6.3)', async () => {
    await fc.assert(
      fc.asyncProperty(ledgerArbitrary, async (ledger) => {
        const { programIds, affiliateIds, recruitIds } = await store(ledger);
        // Both recruits were recruited by affiliate 0 (and enrolled in neither program: not needed here).
        await database.transaction((tx) =>
          tx.insert(affiliates).values(
            [...affiliateIds, ...recruitIds].map((id, index) => ({
              id, username: id, usernameLower: id, email: `${id}@x.test`, name: id, recruitedBy: index >= 2 ? affiliateIds[0]! : null, createdAt: created,
            })),
          ),
        );
        for (const programId of programIds) {
          // At NOW, an entry stamped after it sends the read to the ledger; at LATER every entry is
          // counted, and the read is the projection's.
          for (const now of [NOW, LATER]) {
            const rows = await database.transaction((tx) => recruitsOf(tx, program(programId), affiliateIds[0]!, now));
            const expected = await domainJvNet(programId, affiliateIds[0]!, now);
            expect(rows.map((r) => r.jv_commission_net)).toEqual(recruitIds.map((id) => expected.get(id) ?? 0));
          }
        }
        // The projection itself, row for row: every recruiter's every recruit with a counted entry.
        const projected = await database.transaction(async (tx) =>
          (await tx.execute(sql`select program_id, recruiter_id, recruit_id, net::int as net from recruit_jv_nets where program_id in (${programIds[0]!}, ${programIds[1]!}) order by 1, 2, 3`)) as unknown as {
            rows: Array<{ program_id: string; recruiter_id: string; recruit_id: string; net: number }>;
          },
        );
        const oracle: typeof projected.rows = [];
        for (const programId of programIds) {
          for (const recruiterId of affiliateIds) {
            const nets = await domainJvNet(programId, recruiterId, LATER);
            for (const recruitId of recruitIds) {
              // A row exists once an earn or a reverse was filed under its JV commission's program and affiliate.
              const hasEntry = ledger.entries.some((e) => {
                const owner = ledger.commissions[e.commission % ledger.commissions.length]; // none: no entry was stored
                return owner !== undefined && owner.recruit !== null && recruitIds[owner.recruit] === recruitId && e.type !== 'payout' && programIds[owner.program] === programId && affiliateIds[owner.affiliate] === recruiterId;
              });
              if (hasEntry) oracle.push({ program_id: programId, recruiter_id: recruiterId, recruit_id: recruitId, net: nets.get(recruitId) ?? 0 });
            }
          }
        }
        expect(projected.rows.map((r) => ({ ...r, net: Number(r.net) }))).toEqual(oracle);
      }),
      { numRuns: backend === 'pglite' ? 40 : 80 },
    );
  });
});

/** A plan with low thresholds, so that random books reach every tier. */
const SMALL_PLAN: Plan = {
  tiers: DEFAULT_PLAN.tiers.map((tier, index) => ({ ...tier, minCustomers: index === 0 ? 0 : 2, revenueAbove: index < 2 ? null : index === 2 ? 50_000 : 150_000 })),
};

/**
 * Instants of the tier window: each sale and refund is placed near one of them, to the microsecond,
 * mostly on an edge: the last microsecond of the anchor's millisecond and the first of the next
 * (the domain reads whole milliseconds, the database keeps microseconds).
 */
const anchors = ['paidAfter', 'paidThrough', 'now', 'inside', 'before'] as const;
const nearInstant = fc.record({
  anchor: fc.constantFrom(...anchors),
  // [milliseconds, microseconds] after the anchor.
  offset: fc.constantFrom([0, 999], [1, 0], [0, 0], [-1, 999], [0, 1], [-DAY, 500], [DAY, 0]),
});
type NearInstant = typeof nearInstant extends fc.Arbitrary<infer T> ? T : never;

/** One payment of a random book, and its refunds. */
const saleArbitrary = fc.record({
  // Mostly the affiliate under test in the program under test; some another's, some another
  // program's, some no one's (a payment that is not a sale).
  affiliate: fc.constantFrom(0, 0, 0, 1, null),
  program: fc.constantFrom(0, 0, 0, 1),
  customer: fc.nat(4),
  amount: fc.integer({ min: 1, max: 60_000 }),
  paidAt: nearInstant,
  refunds: fc.array(
    fc.record({
      amount: fc.oneof(fc.constant('all' as const), fc.constant('half' as const), fc.integer({ min: 1, max: 60_000 })),
      at: nearInstant,
      // A refund filed under the other program with the same payment id belongs to another payment.
      strayProgram: fc.nat(9).map((n) => n === 0),
    }),
    { maxLength: 3 },
  ),
});

/** A random book: the program's clock and plan, and payments under two programs and two affiliates. */
const bookModel = {
  // The program's now: mid-month, and month ends where the 12-month window clamps (Feb 29, Mar 31).
  now: fc.constantFrom(Date.UTC(2028, 6, 2), Date.UTC(2028, 1, 29, 8, 30), Date.UTC(2028, 2, 31, 23, 59, 59, 999)),
  holdDays: fc.constantFrom(0, 30, 45),
  plan: fc.constantFrom(DEFAULT_PLAN, SMALL_PLAN),
  sales: fc.array(saleArbitrary, { maxLength: 25 }),
};
const bookArbitrary = fc.record(bookModel);
type Book = typeof bookArbitrary extends fc.Arbitrary<infer T> ? T : never;
/** Books of many sales, so that each affiliate has several in their window. */
const busyBookArbitrary: fc.Arbitrary<Book> = fc.record({ ...bookModel, sales: fc.array(saleArbitrary, { minLength: 20, maxLength: 40 }) });

/** The instants a book's sales and refunds are placed near (milliseconds). */
const anchorInstants = (book: Book): Record<(typeof anchors)[number], number> => ({
  paidAfter: addUtcMonths(book.now, -12),
  paidThrough: book.now - book.holdDays * DAY,
  now: book.now,
  inside: book.now - 200 * DAY,
  before: addUtcMonths(book.now, -14),
});

/** Stores a book's payments and refunds under fresh ids (two programs, two affiliates); returns them. */
async function storeBook(book: Book) {
  run += 1;
  const programIds = [`prog_tier${run}a`, `prog_tier${run}b`];
  const affiliateIds = [`aff_tier${run}a`, `aff_tier${run}b`];
  const base = anchorInstants(book);
  const at = (i: NearInstant) => sql`${`${new Date(base[i.anchor] + i.offset[0]!).toISOString().slice(0, -1)}${String(i.offset[1]).padStart(3, '0')}Z`}::timestamptz`;
  await database.transaction(async (tx) => {
    const rows = book.sales.map((s, index) => ({
      programId: programIds[s.program]!, externalId: `pay_tier${run}_${index}`, subscriptionId: `sub_${index}`, customerId: `cus_${s.customer}`,
      amount: s.amount, currency: 'usd', fullPrice: true, paidAt: at(s.paidAt), saleAffiliateId: s.affiliate === null ? null : affiliateIds[s.affiliate]!, recordedAt: created,
    }));
    if (rows.length > 0) await tx.insert(payments).values(rows);
    const refundRows = book.sales.flatMap((s, index) =>
      s.refunds.map((r, n) => ({
        id: `rfd_tier${run}_${index}_${n}`, programId: programIds[r.strayProgram ? 1 - s.program : s.program]!, paymentId: `pay_tier${run}_${index}`, kind: 'refund',
        amount: r.amount === 'all' ? s.amount : r.amount === 'half' ? Math.ceil(s.amount / 2) : r.amount, at: at(r.at), createdAt: created,
      })),
    );
    if (refundRows.length > 0) await tx.insert(refunds).values(refundRows);
  });
  // loadSalesBook (the oracle below) and tierTotalsSql both find refunds by the sale affiliate the
  // database gives each one (drizzle/0010): that it is their payment's is checked here, by a join.
  const carried = (await database.transaction((tx) =>
    tx.execute(sql`select r.sale_affiliate_id as carried, p.sale_affiliate_id as payment from refunds r
      left join payments p on p.program_id = r.program_id and p.external_id = r.payment_id where starts_with(r.id, ${`rfd_tier${run}_`})`),
  )) as unknown as { rows: Array<{ carried: string | null; payment: string | null }> };
  for (const row of carried.rows) expect(row.carried).toBe(row.payment ?? null);
  return { programIds, affiliateIds };
}

describe(`tierOf on ${backend}`, () => {
  const tierProgram = (id: string, book: Pick<Book, 'holdDays' | 'plan'>): ProgramRow => ({ ...program(id), holdDays: book.holdDays, plan: book.plan });

  /**
   * For random books stored under two programs and two affiliates: `viaSql` (the path under test)
   * equals `oracle` applied to the whole book (loadSalesBook: every sale that may count).
   */
  const agreesWithWholeBook = (
    viaSql: (tx: Tx, book: Book, programId: string, affiliateId: string) => Promise<TierStanding>,
    oracle: (whole: SalesBook, book: Book) => TierStanding,
  ) =>
    fc.assert(
      fc.asyncProperty(bookArbitrary, async (book) => {
        const { programIds, affiliateIds } = await storeBook(book);
        const now = new Date(book.now);
        for (const programId of programIds) {
          for (const affiliateId of affiliateIds) {
            const actual = await database.transaction((tx) => viaSql(tx, book, programId, affiliateId));
            const expected = await database.transaction(async (tx) => oracle(await loadSalesBook(tx, programId, affiliateId, now, book.holdDays), book));
            expect(actual).toEqual(expected);
          }
        }
      }),
      { numRuns: backend === 'pglite' ? 60 : 100 },
    );

  it('equals the domain’s tierAt over the affiliate’s whole tier book, for random books', async () => {
    await agreesWithWholeBook(
      (tx, book, programId, affiliateId) => tierOf(tx, tierProgram(programId, book), affiliateId, new Date(book.now)),
      (whole, book) => tierAt(whole, book.now, book.plan, book.holdDays),
    );
  });

  it('a payment’s measured sales (loadAffiliateBook, R5.3) price it as tierForPayment over the whole book does, for random books', async () => {
    await agreesWithWholeBook(
      async (tx, book, programId, affiliateId) =>
        tierForPayment((await loadAffiliateBook(tx, programId, affiliateId, new Date(book.now), book.holdDays, null)).sales, book.now, book.plan, book.holdDays),
      (whole, book) => tierForPayment(whole, book.now, book.plan, book.holdDays),
    );
  });

  it('loadSalesBook reads each sale with its own customer, amount, time and refunds, for random books', async () => {
    // Its columns come as parallel arrays (facts.ts): a sale must not get another's customer or
    // amount. The properties above compare totals, which a shuffled column can leave unchanged.
    await fc.assert(
      fc.asyncProperty(busyBookArbitrary, async (book) => {
        const { programIds, affiliateIds } = await storeBook(book);
        const base = anchorInstants(book);
        const ms = (i: NearInstant) => base[i.anchor] + i.offset[0]!;
        for (const [p, programId] of programIds.entries()) {
          for (const [a, affiliateId] of affiliateIds.entries()) {
            const whole = await database.transaction((tx) => loadSalesBook(tx, programId, affiliateId, new Date(book.now), book.holdDays));
            for (const sale of whole.sales()) {
              const index = Number(/_(\d+)$/.exec(sale.paymentId)![1]);
              const stored = book.sales[index]!;
              expect(sale.paymentId).toBe(`pay_tier${run}_${index}`);
              expect([stored.program, stored.affiliate]).toEqual([p, a]);
              const refundsOfSale = stored.refunds
                .map((r, n) => ({ r, n, micros: ms(r.at) * 1000 + r.at.offset[1]! }))
                .filter(({ r }) => !r.strayProgram)
                .sort((x, y) => x.micros - y.micros || x.n - y.n)
                .map(({ r }) => ({ amountMinor: r.amount === 'all' ? stored.amount : r.amount === 'half' ? Math.ceil(stored.amount / 2) : r.amount, at: ms(r.at) }));
              expect(sale).toEqual({ paymentId: sale.paymentId, customerId: `cus_${stored.customer}`, amountMinor: stored.amount, paidAt: ms(stored.paidAt), refunds: refundsOfSale });
            }
            // And every sale that counts now is there (the horizon keeps the rest out).
            const counted = book.sales.filter((s) => s.program === p && s.affiliate === a && ms(s.paidAt) >= base.paidAfter + DAY);
            for (const s of counted) expect(whole.has(`pay_tier${run}_${book.sales.indexOf(s)}`)).toBe(true);
          }
        }
      }),
      { numRuns: backend === 'pglite' ? 40 : 80 },
    );
  });

  it('tells a payment whether its fingerprint is on a payment the affiliate made themselves (R4.5), and nothing else', async () => {
    run += 1;
    const [programId, otherProgram, affiliateId, otherAffiliate] = [`prog_fp${run}`, `prog_fp${run}x`, `aff_fp${run}`, `aff_fp${run}x`];
    await database.transaction(async (tx) => {
      const row = (id: string, program: string, payer: string | null, fingerprint: string | null) => ({
        programId: program, externalId: id, subscriptionId: `sub_${id}`, customerId: `cus_${id}`, amount: 1000, currency: 'usd', fullPrice: true,
        paidAt: NOW, payerAffiliateId: payer, fingerprint, recordedAt: NOW,
      });
      await tx.insert(payments).values([
        row(`pay_fp${run}_own`, programId, affiliateId, 'card_own'),
        row(`pay_fp${run}_other`, programId, otherAffiliate, 'card_other'),
        row(`pay_fp${run}_elsewhere`, otherProgram, affiliateId, 'card_elsewhere'),
        row(`pay_fp${run}_none`, programId, affiliateId, null),
      ]);
    });
    const seen = async (fingerprint: string | null) =>
      [...(await database.transaction((tx) => loadAffiliateBook(tx, programId, affiliateId, NOW, 30, fingerprint))).fingerprints];
    expect(await seen('card_own')).toEqual(['card_own']);
    expect(await seen('card_other')).toEqual([]);
    expect(await seen('card_elsewhere')).toEqual([]);
    expect(await seen('card_new')).toEqual([]);
    expect(await seen(null)).toEqual([]);
  });

  it('drops a sale refunded to zero, customer included, and nets a partly refunded one', async () => {
    const inside: NearInstant = { anchor: 'inside', offset: [0, 0] };
    const book: Book = {
      now: Date.UTC(2028, 6, 2),
      holdDays: 45,
      plan: DEFAULT_PLAN,
      sales: [
        { affiliate: 0, program: 0, customer: 1, amount: 80_000, paidAt: inside, refunds: [{ amount: 30_000, at: inside, strayProgram: false }] },
        { affiliate: 0, program: 0, customer: 2, amount: 40_000, paidAt: inside, refunds: [{ amount: 'half', at: inside, strayProgram: false }, { amount: 'half', at: inside, strayProgram: false }] },
        { affiliate: 0, program: 0, customer: 3, amount: 10_000, paidAt: inside, refunds: [{ amount: 'all', at: { anchor: 'now', offset: [1, 0] }, strayProgram: false }] },
      ],
    };
    const { programIds, affiliateIds } = await storeBook(book);
    const card = await database.transaction((tx) => tierOf(tx, tierProgram(programIds[0]!, book), affiliateIds[0]!, new Date(book.now)));
    // The refund after now is not known yet; customer 2's sale counts for nothing.
    expect([card.tier.key, card.trailingRevenueMinor, card.distinctCustomers]).toEqual(['tier_1', 60_000, 2]);
  });

  it('answers the first tier with zeros for an affiliate without sales', async () => {
    const card = await database.transaction((tx) => tierOf(tx, program('prog_none'), 'aff_none', NOW));
    expect([card.tier.key, card.trailingRevenueMinor, card.distinctCustomers]).toEqual(['referral', 0, 0]);
    expect(Object.is(card.trailingRevenueMinor, 0)).toBe(true);
  });
});
