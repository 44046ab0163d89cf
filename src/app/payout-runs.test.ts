// Proves that createPayoutRun, which sums the ledger in the database and composes from each
// commission's outstanding amount, makes exactly the run that the previous path composed from the
// whole ledger in memory (R7.1, R8.1–R8.4): the same items, amounts, receivers and lines, the same
// withheld affiliates with their reasons and commissions, one mail each; on this run's backend,
// over random ledgers (holds, full and partial refunds, chargebacks, reassignments, JV, payouts
// made, failed and clawed back, withholding, tiny amounts, commissions locked in a pending run).
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/db.js';
import type { Database, Tx } from '../store/db.js';
import { insertRows } from '../store/bulk.js';
import { affiliates, commissions, ledgerEntries, mailOutbox, payoutAccounts, payoutItems, taxForms } from '../store/schema.js';
import { commissionRow, entryRows, toCommission, toEntry } from '../store/ledger-rows.js';
import {
  assertLedgerInvariants,
  composePayoutRun,
  DEFAULT_PLAN,
  monthStart,
  outstandingOf,
  payoutEntries,
  replay,
  reversalsForRefund,
  type Commission,
  type History,
  type HistoryAffiliate,
  type HistoryEvent,
  type LedgerEntry,
  type PayeeFact,
  type PayoutRun,
} from '../domain/index.js';
import { FixedClock } from './clock.js';
import { createPayoutRun, discardPayoutRun, findPayoutRun, linesOf, type PayoutItemRow, type StoredWithheld } from './payout-runs.js';
import { createProgram } from './programs.js';
import { completenessOf } from './tax-forms.js';
import { prng } from '../../test/support/random.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2027, 0, 1);
/** Every run is composed after the whole history: the program's clock is past all of it. */
const clock = new FixedClock(new Date(Date.UTC(2028, 6, 2)));
const MONTHS = Array.from({ length: 16 }, (_, index) => new Date(Date.UTC(2027, 1 + index, 1)).toISOString().slice(0, 7)); // 2027-02 … 2028-05
const SEEDS = [1, 2, 3, 4, 5, 6];


/**
 * A random history of one program through the domain's replay, so the ledger is one the engine
 * really writes: 9 affiliates (four recruited, one of them by a recruit: JV is one level), payee facts
 * that change, sales and rebills of every size down to one cent, refunds whole and partial,
 * chargebacks, reassignments, cancellations, a dismissal, and payout runs on some months only,
 * some of their items failing (R8.4), so dues pile up, get paid, and get clawed back.
 */
function randomHistory(seed: number): History {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const ids = Array.from({ length: 9 }, (_, index) => `aff_${index}`);
  const recruiter: Record<string, string> = { aff_5: 'aff_0', aff_6: 'aff_1', aff_7: 'aff_5', aff_8: 'aff_0' };
  const people: HistoryAffiliate[] = ids.map((id) => ({
    id,
    email: `${id}@aff.test`,
    referralCode: `code_${id}`,
    recruitedBy: recruiter[id] ?? null,
    taxFormComplete: random() < 0.8,
    payoutAccount: random() < 0.85 ? `${id}@paypal.test` : null,
  }));
  const amounts = [1, 7, 99, 4_900, 9_900, 9_900, 29_700, 100_000, 250_000];
  const timed: Array<{ at: number; order: number; event: HistoryEvent }> = [];
  const push = (at: number, event: HistoryEvent) => timed.push({ at, order: timed.length, event });
  const subscriptions: string[] = [];
  const payments: Array<{ id: string; amount: number }> = [];
  const sale = (index: number, at: number, affiliateId: string) => {
    const sub = `sub_${index}`;
    subscriptions.push(sub);
    const amount = pick(amounts);
    payments.push({ id: `pay_${index}`, amount });
    const customer = random() < 0.3 && subscriptions.length > 1 ? `cus_${Math.floor(random() * subscriptions.length)}` : `cus_${index}`;
    push(at, { type: 'payment.succeeded', paymentId: `pay_${index}`, subscriptionId: sub, customer: { id: customer, email: `${customer}@buyer.test` }, amountMinor: amount, at, referralCode: `code_${affiliateId}` });
  };
  const steps = 200 + Math.floor(random() * 100);
  for (let index = 0; index < steps; index += 1) {
    const at = T0 + Math.floor(random() * 330 * DAY) + index * 1_000;
    const roll = random();
    if (roll < 0.34 || subscriptions.length === 0) {
      sale(index, at, pick(ids));
    } else if (roll < 0.64) {
      const amount = pick(amounts);
      payments.push({ id: `pay_${index}`, amount });
      const sub = pick(subscriptions);
      push(at, { type: 'payment.succeeded', paymentId: `pay_${index}`, subscriptionId: sub, customer: { id: `cus_of_${sub}` }, amountMinor: amount, at });
    } else if (roll < 0.75) {
      const payment = pick(payments);
      const partial = random() < 0.6;
      push(at, { type: 'payment.refunded', paymentId: payment.id, at, ...(partial ? { amountMinor: 1 + Math.floor(random() * payment.amount) } : {}) });
    } else if (roll < 0.78) {
      push(at, { type: 'payment.disputed', paymentId: pick(payments).id, at });
    } else if (roll < 0.83) {
      push(at, { type: 'reassign', subscriptionId: pick(subscriptions), affiliateId: pick(ids), at });
    } else if (roll < 0.86) {
      push(at, { type: 'subscription.canceled', subscriptionId: pick(subscriptions), at });
    } else if (roll < 0.92) {
      push(at, { type: 'payee.updated', affiliateId: pick(ids), at, taxFormComplete: random() < 0.8, payoutAccount: random() < 0.85 ? `${pick(ids)}@paypal.test` : null });
    } else if (roll < 0.925) {
      push(at, { type: 'dismiss', affiliateId: pick(ids), at });
    }
  }
  // R4.5: a self-referral is a rejected commission without entries; no run may offer it.
  push(T0 + 40 * DAY, { type: 'payment.succeeded', paymentId: 'pay_self', subscriptionId: 'sub_self', customer: { id: 'cus_self', email: 'aff_4@aff.test' }, amountMinor: 9_900, at: T0 + 40 * DAY, referralCode: 'code_aff_4' });
  // R8.1 edges: a sale whose hold ends exactly at a month's first instant waits for the next run;
  // one whose hold ends a millisecond earlier is in that month's run.
  sale(10_000, Date.UTC(2027, 4, 1) - 45 * DAY, 'aff_2');
  sale(10_001, Date.UTC(2027, 8, 1) - 45 * DAY - 1, 'aff_3');
  for (let month = 2; month <= 11; month += 1) {
    if (random() < 0.45) continue;
    const at = Date.UTC(2027, month, 15);
    push(at, { type: 'payout.run', month: new Date(at).toISOString().slice(0, 7), at, failAffiliateIds: ids.filter(() => random() < 0.15) });
  }
  timed.sort((a, b) => a.at - b.at || a.order - b.order);
  return { programId: `prog_seed${seed}`, program: { cookieDays: 30, holdDays: 45, refundDays: 30, jvRateBps: 1000, currency: 'usd', plan: DEFAULT_PLAN }, affiliates: people, events: timed.map((t) => t.event) };
}

interface StoredProgram {
  slug: string;
  programId: string;
  tag: string;
}

/** Writes the replay's ledger and payee facts as a program of its own (ids prefixed so programs never collide). */
async function storeProgram(database: Database, seed: number): Promise<StoredProgram> {
  const history = randomHistory(seed);
  const result = replay(history);
  assertLedgerInvariants(result.commissions, result.entries);
  seen.rejected += result.commissions.filter((c) => c.status === 'rejected').length;
  const tag = `s${seed}`;
  const aff = (id: string) => `aff_${tag}_${id}`;
  const com = (id: string) => `com_${tag}_${id}`;
  const createdAt = new Date(T0 - DAY);
  return database.transaction(async (tx) => {
    const program = await createProgram(tx, new FixedClock(createdAt), {
      slug: `seed-${seed}`,
      name: `Seed ${seed}`,
      currency: 'usd',
      landingUrl: 'https://merchant.example/',
      cookieDays: 30,
      holdDays: 45,
      refundDays: 30,
      jvRateBps: 1000,
      plan: 'default',
    });
    const payees = new Map(result.payees.map((p) => [p.id, p]));
    for (const person of history.affiliates) {
      const id = aff(person.id);
      await tx.insert(affiliates).values({ id, username: id, usernameLower: id, email: `${id}@aff.test`, name: `Affiliate ${id}`, recruitedBy: person.recruitedBy ? aff(person.recruitedBy) : null, createdAt });
      const payee = payees.get(person.id);
      // Three shapes of tax form: complete (W-8BEN), incomplete (a W-9 without its TIN), none.
      if (payee?.taxFormComplete) {
        await tx.insert(taxForms).values({ affiliateId: id, form: 'w8ben', legalName: id, country: 'DE', address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' }, signedAt: createdAt, fields: {}, complete: true, updatedAt: createdAt });
      } else if (seed % 2 === 0) {
        await tx.insert(taxForms).values({ affiliateId: id, form: 'w9', legalName: id, country: 'US', address: { line1: '1 Main St', city: 'Austin', postal_code: '78701', country: 'US' }, signedAt: createdAt, fields: {}, complete: false, updatedAt: createdAt });
      }
      if (payee?.payoutAccount) await tx.insert(payoutAccounts).values({ affiliateId: id, paypalEmail: `${id}@paypal.test`, updatedAt: createdAt });
    }
    const rows = result.commissions.map((c) =>
      commissionRow({ ...c, id: com(c.id), affiliateId: aff(c.affiliateId), sourceCommissionId: c.sourceCommissionId ? com(c.sourceCommissionId) : null }, program.id, 'usd', createdAt),
    );
    await insertRows(tx, commissions, rows);
    const entries = entryRows(
      result.entries.map((e) => ({ ...e, id: `ent_${tag}_${e.id}`, commissionId: com(e.commissionId), affiliateId: aff(e.affiliateId) })),
      rows.map(toCommission),
      program.id,
      createdAt,
    );
    await insertRows(tx, ledgerEntries, entries);
    return { slug: program.slug, programId: program.id, tag };
  });
}

/**
 * The oracle: createPayoutRun's composition as it was before the ledger was summed in SQL (the
 * commit before this test), kept verbatim: load every candidate commission and all its entries,
 * the pending items' lines and the payee facts, and compose in memory with composePayoutRun.
 */
async function oracleComposition(tx: Tx, programId: string, month: string): Promise<{ composed: PayoutRun; payees: Map<string, PayeeFact>; ledger: { commissions: Commission[]; entries: LedgerEntry[] }; locked: Set<string> }> {
  const candidates = and(eq(commissions.programId, programId), eq(commissions.status, 'active'), lt(commissions.dueAt, new Date(monthStart(month))));
  const commissionRows = await tx.select().from(commissions).where(candidates);
  const entryRows = await tx
    .select()
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.programId, programId), inArray(ledgerEntries.commissionId, tx.select({ id: commissions.id }).from(commissions).where(candidates))));
  const pendingItems = await tx
    .select({ lines: payoutItems.lines })
    .from(payoutItems)
    .where(and(eq(payoutItems.programId, programId), eq(payoutItems.status, 'pending')));
  const lockedCommissionIds = pendingItems.flatMap((item) => linesOf(item).map((line) => line.commissionId));
  const affiliateIds = [...new Set(commissionRows.map((row) => row.affiliateId))];
  const payees = new Map<string, PayeeFact>();
  if (affiliateIds.length > 0) {
    const people = await tx.select({ id: affiliates.id }).from(affiliates).where(inArray(affiliates.id, affiliateIds));
    const forms = new Map((await tx.select().from(taxForms).where(inArray(taxForms.affiliateId, affiliateIds))).map((f) => [f.affiliateId, f]));
    const accounts = new Map((await tx.select().from(payoutAccounts).where(inArray(payoutAccounts.affiliateId, affiliateIds))).map((a) => [a.affiliateId, a.paypalEmail]));
    for (const person of people) {
      const form = forms.get(person.id);
      payees.set(person.id, { id: person.id, taxFormComplete: form ? completenessOf(form).complete : false, payoutAccount: accounts.get(person.id) ?? null });
    }
  }
  const ledger = { commissions: commissionRows.map(toCommission), entries: entryRows.map(toEntry) };
  const composed = composePayoutRun({ month, commissions: ledger.commissions, entries: ledger.entries, affiliates: [...payees.values()], lockedCommissionIds });
  return { composed, payees, ledger, locked: new Set(lockedCommissionIds) };
}

/** What the test saw, so it can prove the random ledgers were not vacuous. */
const seen = {
  runs: 0,
  items: 0,
  lines: 0,
  withheldTaxForm: 0,
  withheldAccount: 0,
  clawbackLines: 0,
  partialLines: 0,
  jvLines: 0,
  lockedLeftOut: 0,
  netNotPositive: 0,
  dueAtCutoffLeftOut: 0,
  emptyRuns: 0,
  rejected: 0,
};

function observe(oracle: Awaited<ReturnType<typeof oracleComposition>>): void {
  const { composed, ledger, locked } = oracle;
  const byId = new Map(ledger.commissions.map((c) => [c.id, c]));
  const lines = [...composed.items.flatMap((i) => i.lines)];
  seen.runs += 1;
  seen.items += composed.items.length;
  seen.lines += lines.length;
  if (composed.items.length === 0 && composed.withheld.length === 0) seen.emptyRuns += 1;
  seen.withheldTaxForm += composed.withheld.filter((w) => w.reasons.includes('tax_form_missing')).length;
  seen.withheldAccount += composed.withheld.filter((w) => w.reasons.includes('payout_account_missing')).length;
  seen.clawbackLines += lines.filter((l) => l.amountMinor < 0).length;
  seen.partialLines += lines.filter((l) => l.amountMinor > 0 && l.amountMinor < byId.get(l.commissionId)!.amountMinor).length;
  seen.jvLines += lines.filter((l) => byId.get(l.commissionId)!.kind === 'jv').length;
  const outstanding = outstandingOf(ledger.commissions, ledger.entries).filter((o) => o.outstandingMinor !== 0);
  seen.lockedLeftOut += outstanding.filter((o) => locked.has(o.commissionId)).length;
  const net = new Map<string, number>();
  for (const o of outstanding) if (!locked.has(o.commissionId)) net.set(o.affiliateId, (net.get(o.affiliateId) ?? 0) + o.outstandingMinor);
  seen.netNotPositive += [...net.values()].filter((n) => n <= 0).length;
}

const itemShape = (item: Pick<PayoutItemRow, 'affiliateId' | 'amount' | 'currency' | 'receiver' | 'lines' | 'status'>) => ({
  affiliateId: item.affiliateId,
  amount: item.amount,
  currency: item.currency,
  receiver: item.receiver,
  lines: item.lines,
  status: item.status,
});

async function withheldMails(database: Database): Promise<number> {
  return database.transaction(async (tx) => (await tx.select({ n: sql<number>`count(*)::int` }).from(mailOutbox).where(eq(mailOutbox.template, 'payout_withheld')))[0]!.n);
}

describe('createPayoutRun (SQL sums) equals the in-memory composition over the whole ledger', () => {
  let database: Database;
  const programs: StoredProgram[] = [];
  beforeAll(async () => {
    database = await openTestDatabase();
    // All programs share one database: a run must only ever see its own program's ledger.
    for (const seed of SEEDS) programs.push(await storeProgram(database, seed));
  });
  afterAll(async () => {
    await database?.close();
  });

  it.each(SEEDS.map((seed, index) => [seed, index]))('seed %i: every month from 2027-02 to 2028-05, with runs left pending, failed, paid or discarded in between', async (seed, index) => {
    const program = programs[index]!;
    const random = prng(seed * 7919);
    for (const month of MONTHS) {
      const oracle = await database.transaction((tx) => oracleComposition(tx, program.programId, month));
      observe(oracle);
      const mailsBefore = await withheldMails(database);
      const detail = await database.transaction((tx) => createPayoutRun(tx, clock, { program: program.slug, month }));

      const expectedItems = oracle.composed.items.map((item) => ({
        affiliateId: item.affiliateId,
        amount: item.amountMinor,
        currency: 'usd',
        receiver: oracle.payees.get(item.affiliateId)!.payoutAccount,
        lines: item.lines,
        status: 'pending',
      }));
      expect(detail.items.map(itemShape), `${program.slug} ${month} items`).toEqual(expectedItems);
      for (const item of detail.items) expect(item.amount).toBe(linesOf(item).reduce((sum, line) => sum + line.amountMinor, 0));
      expect(detail.run.withheld, `${program.slug} ${month} withheld`).toEqual(
        oracle.composed.withheld.map((w) => ({ affiliateId: w.affiliateId, amountMinor: w.amountMinor, reasons: w.reasons, commissionIds: w.commissionIds })),
      );
      expect(await withheldMails(database)).toBe(mailsBefore + oracle.composed.withheld.length);
      // What was stored is what was answered (lines survive the bulk insert as jsonb).
      const stored = await database.transaction((tx) => findPayoutRun(tx, detail.run.id));
      expect(stored.items.map(itemShape)).toEqual(detail.items.map(itemShape));
      expect(stored.items.map((i) => i.id)).toEqual(detail.items.map((i) => i.id));
      expect(stored.run.withheld).toEqual(detail.run.withheld);
      // R8.1: a commission due at the month's first instant is not in it.
      const atCutoff = await database.transaction((tx) =>
        tx.select({ id: commissions.id }).from(commissions).where(and(eq(commissions.programId, program.programId), eq(commissions.dueAt, new Date(monthStart(month))))),
      );
      const offered = new Set([...detail.items.flatMap((i) => linesOf(i).map((l) => l.commissionId)), ...(detail.run.withheld as StoredWithheld[]).flatMap((w) => w.commissionIds)]);
      for (const { id } of atCutoff) expect(offered.has(id)).toBe(false);
      seen.dueAtCutoffLeftOut += atCutoff.length;

      // What happens to the run next shapes the following months: a pending draft locks its
      // commissions, a failed item frees them, a paid one appends payout entries (R8.4), a
      // discarded draft frees everything.
      const fate = random();
      if (fate < 0.25) continue;
      await database.transaction(async (tx) => {
        if (fate < 0.4) {
          await discardPayoutRun(tx, detail.run.id);
          return;
        }
        const failing = fate < 0.55;
        for (const item of detail.items) {
          if (!failing && random() < 0.85) {
            const at = Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1, 16);
            const entries = payoutEntries({ affiliateId: item.affiliateId, amountMinor: item.amount, commissionIds: linesOf(item).map((l) => l.commissionId), lines: linesOf(item) }, { runId: detail.run.id, at });
            const paid = (await tx.select().from(commissions).where(inArray(commissions.id, entries.map((e) => e.commissionId)))).map(toCommission);
            await tx.insert(ledgerEntries).values(entryRows(entries.map((e) => ({ ...e, id: `ent_${program.tag}_${e.id}` })), paid, program.programId, new Date(at)));
            await tx.update(payoutItems).set({ status: 'paid' }).where(eq(payoutItems.id, item.id));
            // R4.3/R7.1: a refund after the payout claws back part or all of a paid commission;
            // the next runs net it (a negative line) or carry it (net ≤ 0).
            if (random() < 0.4) {
              const line = linesOf(item)[Math.floor(random() * linesOf(item).length)]!;
              const commission = toCommission((await tx.select().from(commissions).where(eq(commissions.id, line.commissionId)))[0]!);
              const own = (await tx.select().from(ledgerEntries).where(eq(ledgerEntries.commissionId, commission.id))).map(toEntry);
              const refundAt = at + 3 * DAY;
              const payment = commission.basis.paymentAmountMinor;
              const reversals = reversalsForRefund({ commissions: [commission], entries: own, paymentAmountMinor: payment, cumulativeRefundedMinor: random() < 0.5 ? payment : 1 + Math.floor(random() * payment), at: refundAt, reason: 'refund' });
              if (reversals.length > 0) await tx.insert(ledgerEntries).values(entryRows(reversals.map((e) => ({ ...e, id: `ent_${program.tag}_${e.id}.${detail.run.id}` })), [commission], program.programId, new Date(refundAt)));
            }
          } else {
            await tx.update(payoutItems).set({ status: 'failed', failureReason: 'RECEIVER_UNREGISTERED' }).where(eq(payoutItems.id, item.id));
          }
        }
      });
    }
    // The ledger the runs paid from is still sound: never paid twice, never beyond what was earned.
    const all = await database.transaction(async (tx) => ({
      commissions: (await tx.select().from(commissions).where(eq(commissions.programId, program.programId))).map(toCommission),
      entries: (await tx.select().from(ledgerEntries).where(eq(ledgerEntries.programId, program.programId))).map(toEntry),
    }));
    assertLedgerInvariants(all.commissions, all.entries);
  });

  it('the random ledgers exercise what the rules are about', () => {
    expect(seen.runs).toBe(SEEDS.length * MONTHS.length);
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(0);
  });
});
