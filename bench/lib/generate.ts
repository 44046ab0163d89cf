// Generates a program after 18 months of trading straight into the tables: affiliates (a fifth
// recruited, R6), their enrolments, links, tax forms and PayPal accounts, payments with refunds, and
// the ledger: direct and JV commissions with their earn entries, reversals of refunded ones, and
// payout entries for every month already paid (R8). Commissions and entries are the domain's
// objects with the app's deterministic ids (programIds), mapped by src/store/ledger-rows.ts.
// Sales are skewed as in real programs: a few affiliates sell most (rank ~ N·u³).
import { createProgram } from '../../src/app/programs.js';
import { createTestClock } from '../../src/app/test-clocks.js';
import { FixedClock } from '../../src/app/clock.js';
import type { Database } from '../../src/store/db.js';
import { commissionRow, entryRow } from '../../src/store/ledger-rows.js';
import { programIds } from '../../src/store/ids.js';
import { affiliates, applications, commissions, ledgerEntries, links, payments, payoutAccounts, refunds, taxForms } from '../../src/store/schema.js';
import type { Commission, CommissionBasis, LedgerEntry } from '../../src/domain/index.js';
import { bulkInsert, exec } from './bulk.js';
import { prng } from '../../test/support/random.js';

const DAY = 86_400_000;
export const HISTORY_START = Date.UTC(2027, 0, 1);
export const HISTORY_END = Date.UTC(2028, 6, 1); // 18 months of sales
/** The program's clock: the day after the history, so the July 2028 run may be composed. */
export const NOW = new Date(Date.UTC(2028, 6, 2));
export const RUN_MONTH = '2028-07';
const PAID_BEFORE = Date.UTC(2028, 5, 1); // June's run paid what was due before June 1
const HOLD_DAYS = 45;

export interface GenerateOptions {
  affiliates: number;
  commissions: number;
  slug?: string;
  log?: (line: string) => void;
}

export interface Generated {
  programId: string;
  slug: string;
  affiliateIds: (index: number) => string;
  counts: Record<string, number>;
  seconds: number;
}

export const affiliateId = (index: number) => `aff_bench${String(index).padStart(11, '0')}`;
export const mainLinkId = (index: number) => `lnk_benchm${String(index).padStart(10, '0')}`;
const payable = (index: number) => ({ taxForm: index % 10 !== 0, account: index % 7 !== 0 });
const tierOfRank = (index: number) => (index < 100 ? { key: 'tier_3', rateBps: 4000 } : index < 2_000 ? { key: 'tier_2', rateBps: 3000 } : { key: 'tier_1', rateBps: 2000 });

export async function generateProgram(database: Database, options: GenerateOptions): Promise<Generated> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const slug = options.slug ?? 'scale';
  const setupClock = new FixedClock(new Date(HISTORY_START - DAY));
  const program = await database.transaction(async (tx) => {
    const clock = await createTestClock(tx, setupClock, NOW);
    return createProgram(tx, setupClock, {
      slug,
      name: 'Scale',
      currency: 'usd',
      landingUrl: 'https://merchant.example/',
      cookieDays: 30,
      holdDays: HOLD_DAYS,
      refundDays: 30,
      jvRateBps: 1000,
      plan: 'default',
      testClockId: clock.id,
    });
  });
  const ids = programIds(program.id);
  const counts: Record<string, number> = {};
  const add = (name: string, n: number) => (counts[name] = (counts[name] ?? 0) + n);
  const createdAt = new Date(HISTORY_START - DAY);

  // People: affiliates, approved enrolments, main and JV links, tax forms, PayPal accounts.
  const chunk = 20_000;
  for (let from = 0; from < options.affiliates; from += chunk) {
    const to = Math.min(options.affiliates, from + chunk);
    const people: Array<typeof affiliates.$inferInsert> = [];
    const enrolments: Array<typeof applications.$inferInsert> = [];
    const linkRows: Array<typeof links.$inferInsert> = [];
    const forms: Array<typeof taxForms.$inferInsert> = [];
    const accounts: Array<typeof payoutAccounts.$inferInsert> = [];
    for (let index = from; index < to; index += 1) {
      const id = affiliateId(index);
      const username = `seller${index}`;
      people.push({ id, username, usernameLower: username, email: `${username}@aff.bench`, name: `Seller ${index}`, recruitedBy: index % 5 === 4 ? affiliateId(index - 4) : null, createdAt });
      enrolments.push({ id: `app_bench${String(index).padStart(11, '0')}`, programId: program.id, affiliateId: id, status: 'approved', termsVersion: 'v1', termsAcceptedAt: createdAt, socialLinks: [], decidedAt: createdAt, createdAt });
      linkRows.push({ id: mainLinkId(index), code: `m${index}`, programId: program.id, affiliateId: id, kind: 'main', createdAt });
      linkRows.push({ id: `lnk_benchj${String(index).padStart(10, '0')}`, code: `j${index}`, programId: program.id, affiliateId: id, kind: 'jv', createdAt });
      const { taxForm, account } = payable(index);
      if (taxForm) {
        forms.push({ affiliateId: id, form: 'w8ben', legalName: `Seller ${index}`, country: 'DE', address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' }, signedAt: createdAt, fields: {}, complete: true, updatedAt: createdAt });
      }
      if (account) accounts.push({ affiliateId: id, paypalEmail: `${username}@paypal.bench`, updatedAt: createdAt });
    }
    add('affiliates', await bulkInsert(database, affiliates, people));
    add('applications', await bulkInsert(database, applications, enrolments));
    add('links', await bulkInsert(database, links, linkRows));
    add('tax_forms', await bulkInsert(database, taxForms, forms));
    add('payout_accounts', await bulkInsert(database, payoutAccounts, accounts));
  }
  log(`  people: ${options.affiliates} affiliates (${((performance.now() - started) / 1000).toFixed(1)} s)`);

  // Sales and the ledger, streamed in chunks.
  const random = prng(42);
  let paymentRows: Array<typeof payments.$inferInsert> = [];
  let refundRows: Array<typeof refunds.$inferInsert> = [];
  let commissionBuffer: Commission[] = [];
  let entryBuffer: LedgerEntry[] = [];
  const flush = async (force: boolean) => {
    if (!force && commissionBuffer.length < chunk) return;
    // Two streams on two connections (PostgreSQL; PGlite queues them): the sales, and the ledger
    // (entries after their commissions, which their foreign key needs committed).
    const [paymentCount, refundCount] = [paymentRows.length, refundRows.length];
    // Every entry's commission is in the same buffer (generated together).
    const byId = new Map(commissionBuffer.map((c) => [c.id, c]));
    const commissionRows = commissionBuffer.map((c) => commissionRow(c, program.id, 'usd', new Date(c.earnedAt)));
    const entryRows = entryBuffer.map((e) => entryRow(e, byId.get(e.commissionId)!, program.id, new Date(e.at)));
    const sales = (async () => {
      await bulkInsert(database, payments, paymentRows);
      await bulkInsert(database, refunds, refundRows);
    })();
    const ledger = (async () => {
      await bulkInsert(database, commissions, commissionRows);
      await bulkInsert(database, ledgerEntries, entryRows);
    })();
    await Promise.all([sales, ledger]);
    add('payments', paymentCount);
    add('refunds', refundCount);
    add('commissions', commissionRows.length);
    add('ledger_entries', entryRows.length);
    paymentRows = [];
    refundRows = [];
    commissionBuffer = [];
    entryBuffer = [];
  };
  const payoutAt = (dueAt: number) => {
    const d = new Date(dueAt);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 16);
  };
  let made = 0;
  let subscription = 0;
  let payment = 0;
  let lastLog = performance.now();
  while (made < options.commissions) {
    subscription += 1;
    const rank = Math.min(options.affiliates - 1, Math.floor(options.affiliates * random() ** 3));
    const seller = affiliateId(rank);
    const tier = tierOfRank(rank);
    const sub = `sub_g${subscription}`;
    const customer = `cus_g${subscription}`;
    const startAt = HISTORY_START + Math.floor(random() * (HISTORY_END - HISTORY_START));
    const amount = 4_900 + Math.floor(random() * 6) * 5_000;
    const rebills = Math.floor(-Math.log(1 - random()) * 6);
    for (let k = 0; k <= rebills && made < options.commissions; k += 1) {
      const paidAt = startAt + k * 30 * DAY;
      if (paidAt >= HISTORY_END) break;
      payment += 1;
      const paymentId = `pay_g${payment}`;
      // A refund is drawn for 3% of payments, up to 20 days after the payment; one that would fall
      // after the program's clock (NOW) has not happened yet: the API refuses events more than 5
      // minutes ahead of it, so no entry of a real program is stamped later than its now.
      const refundDrawn = random() < 0.03;
      // Sold through the seller's main link (its code is the basis's source), so per-link sale counts (R9.1) have rows to count.
      paymentRows.push({ programId: program.id, externalId: paymentId, subscriptionId: sub, customerId: customer, customerEmail: `${customer}@buyer.bench`, amount, currency: 'usd', fullPrice: true, paidAt: new Date(paidAt), saleAffiliateId: seller, linkId: mainLinkId(rank), recordedAt: new Date(paidAt) });
      const refundAt = paidAt + Math.floor(random() * 20 * DAY);
      const refunded = refundDrawn && refundAt <= NOW.getTime();
      if (refunded) refundRows.push({ id: `rfd_g${payment}`, programId: program.id, paymentId, kind: 'refund', amount, at: new Date(refundAt), createdAt: new Date(refundAt) });
      const basis: CommissionBasis = {
        source: { type: 'referral_code', code: `m${rank}`, linkId: null },
        binding: k === 0 ? 'new' : 'existing',
        boundAt: startAt,
        interval: 'month',
        rateKind: k === 0 ? 'first' : 'recurring',
        paymentAmountMinor: amount,
        tier: { key: tier.key, trailingRevenueMinor: 0, distinctCustomers: 0 },
        recruitAffiliateId: null,
        selfReferralSignals: [],
      };
      const shares: Array<{ kind: 'direct' | 'jv'; affiliate: number; rateBps: number }> = [{ kind: 'direct', affiliate: rank, rateBps: tier.rateBps }];
      if (rank % 5 === 4) shares.push({ kind: 'jv', affiliate: rank - 4, rateBps: 1000 });
      for (const share of shares) {
        const id = ids.commission(`${paymentId}.${share.kind}`);
        const owner = affiliateId(share.affiliate);
        const commissionAmount = Math.floor((amount * share.rateBps) / 10_000);
        const dueAt = paidAt + HOLD_DAYS * DAY;
        commissionBuffer.push({
          id,
          kind: share.kind,
          affiliateId: owner,
          paymentId,
          subscriptionId: sub,
          customerId: customer,
          amountMinor: commissionAmount,
          rateBps: share.rateBps,
          tierKey: share.kind === 'direct' ? tier.key : null,
          earnedAt: paidAt,
          dueAt,
          status: 'active',
          reason: null,
          sourceCommissionId: null,
          basis: share.kind === 'jv' ? { ...basis, rateKind: 'jv', recruitAffiliateId: seller } : basis,
        });
        entryBuffer.push({ id: ids.entry(`${id}.earn`), commissionId: id, affiliateId: owner, type: 'earn', amountMinor: commissionAmount, at: paidAt, reason: 'payment', ref: null });
        if (refunded) {
          entryBuffer.push({ id: ids.entry(`${id}.reverse.1`), commissionId: id, affiliateId: owner, type: 'reverse', amountMinor: -commissionAmount, at: refundAt, reason: 'refund', ref: String(amount) });
        } else if (dueAt < PAID_BEFORE && payable(share.affiliate).taxForm && payable(share.affiliate).account) {
          const at = payoutAt(dueAt);
          const month = new Date(at).toISOString().slice(0, 7);
          entryBuffer.push({ id: ids.entry(`${id}.payout.prun_bench_${month}`), commissionId: id, affiliateId: owner, type: 'payout', amountMinor: -commissionAmount, at, reason: 'payout', ref: `prun_bench_${month}` });
        }
        made += 1;
      }
    }
    await flush(false);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`  ledger: ${made} of ${options.commissions} commissions (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
  await flush(true);
  await exec(database, database.pool ? 'vacuum analyze' : 'analyze');
  return { programId: program.id, slug, affiliateIds: affiliateId, counts, seconds: (performance.now() - started) / 1000 };
}
