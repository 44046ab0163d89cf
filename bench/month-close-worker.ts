// The month-close bench's worker (a child process with a large heap, so the bench process stays
// small and the peak memory is this work's own): generates the program, then times
//   - the payout run of July 2028 through createPayoutRun, the use case behind POST /api/v1/payout_runs
//     (in a transaction that is rolled back, so it can run twice), with a breakdown by phase;
//   - tier evaluation for every affiliate: one bulk read + SalesBook/tierAt per affiliate, and the
//     per-affiliate read path of GET …/tier (tierOf) on a sample, extrapolated.
// Input: argv[2] JSON {databaseUrl?, dataDir?, affiliates, commissions}. Output: one JSON line.
import { and, eq, gte, isNotNull, sql } from 'drizzle-orm';
import { openDatabase } from '../src/store/db.js';
import { FixedClock } from '../src/app/clock.js';
import { createPayoutRun } from '../src/app/payout-runs.js';
import { findProgram } from '../src/app/programs.js';
import { tierOf } from '../src/app/statements.js';
import { commissions, ledgerEntries, payments, payoutAccounts, refunds, taxForms } from '../src/store/schema.js';
import { toCommission, toEntry } from '../src/store/ledger-rows.js';
import { composePayoutRun, DEFAULT_PLAN, SalesBook, tierAt, type RefundFact, type SaleFact } from '../src/domain/index.js';
import { affiliateId, generateProgram, NOW, RUN_MONTH } from './lib/generate.js';
import { prng } from './lib/random.js';

interface Input {
  databaseUrl?: string;
  dataDir?: string;
  affiliates: number;
  commissions: number;
  tierSample: number;
  /** Only generate the program (the dashboard bench's data) and report its counts. */
  generateOnly?: boolean;
}

class Rollback extends Error {}

const input = JSON.parse(process.argv[2] ?? '{}') as Input;
const log = (line: string) => process.stderr.write(`${line}\n`);
const seconds = (from: number) => (performance.now() - from) / 1000;

const database = await openDatabase(input.databaseUrl ? { databaseUrl: input.databaseUrl, poolSize: 2 } : { dataDir: input.dataDir });
await database.migrate();
const generated = await generateProgram(database, { affiliates: input.affiliates, commissions: input.commissions, log });
log(`  generated in ${generated.seconds.toFixed(0)} s: ${JSON.stringify(generated.counts)}`);
if (input.generateOnly) {
  await database.close();
  process.stdout.write(`${JSON.stringify({ generated: { seconds: generated.seconds, counts: generated.counts } })}\n`);
  process.exit(0);
}
const clock = new FixedClock(NOW);

// --- Payout run: the use case, twice (rolled back), and a breakdown of where its time goes. ---
const runs: Array<{ seconds: number; items: number; withheld: number; amountMinor: number; error?: string }> = [];
for (let attempt = 0; attempt < 2; attempt += 1) {
  const started = performance.now();
  let outcome: { items: number; withheld: number; amountMinor: number } | undefined;
  let failure: string | undefined;
  try {
    await database.transaction(async (tx) => {
      const detail = await createPayoutRun(tx, clock, { program: generated.slug, month: RUN_MONTH });
      outcome = { items: detail.items.length, withheld: (detail.run.withheld as unknown[]).length, amountMinor: detail.items.reduce((sum, item) => sum + item.amount, 0) };
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) failure = describeFailure(error);
  }
  runs.push({ seconds: seconds(started), items: outcome?.items ?? 0, withheld: outcome?.withheld ?? 0, amountMinor: outcome?.amountMinor ?? 0, ...(failure ? { error: failure } : {}) });
  log(`  createPayoutRun #${attempt + 1}: ${runs[attempt]!.seconds.toFixed(2)} s${failure ? ` FAILED: ${failure}` : ''}`);
}

/** A failed query's message without its (possibly 100k-parameter) text. */
function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  const message = error instanceof Error ? error.message : String(error);
  const params = /\$(\d+)\)?\s*$/.exec(message.split('\nparams:')[0] ?? '')?.[1];
  return `${cause ?? message.slice(0, 160)}${params ? ` (a query with ${params} bind parameters)` : ''}`.slice(0, 300);
}

const breakdown: Record<string, number> = {};
await database.transaction(async (tx) => {
  let t = performance.now();
  const commissionRows = await tx.select().from(commissions).where(eq(commissions.programId, generated.programId));
  breakdown['select commissions'] = seconds(t);
  t = performance.now();
  const entryRows = await tx.select().from(ledgerEntries).where(eq(ledgerEntries.programId, generated.programId));
  breakdown['select ledger_entries'] = seconds(t);
  t = performance.now();
  const domainCommissions = commissionRows.map(toCommission);
  const domainEntries = entryRows.map(toEntry);
  breakdown['map rows to domain'] = seconds(t);
  t = performance.now();
  const ids = [...new Set(commissionRows.map((row) => row.affiliateId))];
  const forms = await tx.select({ id: taxForms.affiliateId }).from(taxForms).where(sql`${taxForms.affiliateId} = any(${sql.param(ids)})`);
  const accounts = await tx.select({ id: payoutAccounts.affiliateId }).from(payoutAccounts).where(sql`${payoutAccounts.affiliateId} = any(${sql.param(ids)})`);
  breakdown['select payee facts (= any)'] = seconds(t);
  void forms;
  void accounts;
  t = performance.now();
  const payees = Array.from({ length: input.affiliates }, (_, index) => ({ id: affiliateId(index), taxFormComplete: index % 10 !== 0, payoutAccount: index % 7 !== 0 ? 'x@paypal.bench' : null }));
  composePayoutRun({ month: RUN_MONTH, commissions: domainCommissions, entries: domainEntries, affiliates: payees });
  breakdown['composePayoutRun (pure)'] = seconds(t);
  breakdown['rows loaded'] = commissionRows.length + entryRows.length;
});

// --- Tier evaluation for every affiliate. ---
const tierStarted = performance.now();
const horizon = new Date(NOW.getTime());
horizon.setUTCMonth(horizon.getUTCMonth() - 12);
horizon.setTime(horizon.getTime() - 46 * 86_400_000);
const tiers = await database.transaction(async (tx) => {
  const program = await findProgram(tx, generated.slug);
  const sales = await tx
    .select({ affiliateId: payments.saleAffiliateId, paymentId: payments.externalId, customerId: payments.customerId, amount: payments.amount, paidAt: payments.paidAt })
    .from(payments)
    .where(and(eq(payments.programId, program.id), isNotNull(payments.saleAffiliateId), gte(payments.paidAt, horizon)));
  const refundRows = await tx
    .select({ paymentId: refunds.paymentId, amount: refunds.amount, at: refunds.at })
    .from(refunds)
    .innerJoin(payments, and(eq(payments.programId, refunds.programId), eq(payments.externalId, refunds.paymentId)))
    .where(and(eq(refunds.programId, program.id), gte(payments.paidAt, horizon)));
  const refundsBy = new Map<string, RefundFact[]>();
  for (const r of refundRows) refundsBy.set(r.paymentId, [...(refundsBy.get(r.paymentId) ?? []), { amountMinor: r.amount, at: r.at.getTime() }]);
  const byAffiliate = new Map<string, SaleFact[]>();
  for (const s of sales) {
    const list = byAffiliate.get(s.affiliateId!) ?? [];
    list.push({ paymentId: s.paymentId, customerId: s.customerId, amountMinor: s.amount, paidAt: s.paidAt.getTime(), refunds: refundsBy.get(s.paymentId) ?? [] });
    byAffiliate.set(s.affiliateId!, list);
  }
  const counts = new Map<string, number>();
  for (let index = 0; index < input.affiliates; index += 1) {
    const standing = tierAt(SalesBook.from(byAffiliate.get(affiliateId(index)) ?? []), NOW.getTime(), DEFAULT_PLAN, program.holdDays);
    counts.set(standing.tier.key, (counts.get(standing.tier.key) ?? 0) + 1);
  }
  return { salesLoaded: sales.length, counts: Object.fromEntries(counts) };
});
const tierBulkSeconds = seconds(tierStarted);

const random = prng(3);
const sample = [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: input.tierSample - 20 }, () => Math.floor(random() * input.affiliates))];
const sampleStarted = performance.now();
await database.transaction(async (tx) => {
  const program = await findProgram(tx, generated.slug);
  for (const index of sample) await tierOf(tx, program, affiliateId(index), NOW);
});
const perAffiliateMs = (seconds(sampleStarted) * 1000) / sample.length;

await database.close();
process.stdout.write(
  `${JSON.stringify({
    generated: { seconds: generated.seconds, counts: generated.counts },
    payoutRuns: runs,
    breakdown,
    tiers: { bulkSeconds: tierBulkSeconds, ...tiers, perAffiliateMs, perAffiliateExtrapolatedSeconds: (perAffiliateMs * input.affiliates) / 1000, sample: sample.length },
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
