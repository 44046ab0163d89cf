// The month-close bench's worker (a child process with a large heap, so the bench process stays
// small and the peak memory is this work's own): generates the program, then times
//   - the payout run of July 2028 through createPayoutRun, the use case behind POST /api/v1/payout_runs
//     (in a transaction that is rolled back, so it can run twice), with a breakdown by phase;
//   - tier evaluation for every affiliate: one bulk read + SalesBook/tierAt per affiliate, and the
//     per-affiliate read path of GET …/tier (tierOf) on a sample, extrapolated.
// Input: argv[2] JSON {databaseUrl?, dataDir?, affiliates, commissions}. Output: one JSON line.
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/store/db.js';
import { FixedClock } from '../src/app/clock.js';
import { createPayoutRun, outstandingDueBefore } from '../src/app/payout-runs.js';
import { findProgram } from '../src/app/programs.js';
import { tierOf } from '../src/app/statements.js';
import { payments, payoutAccounts, refunds, taxForms } from '../src/store/schema.js';
import { composePayoutRunFromOutstanding, DEFAULT_PLAN, monthStart, SalesBook, tierAt, type RefundFact, type SaleFact } from '../src/domain/index.js';
import { affiliateId, generateProgram, NOW, RUN_MONTH } from './lib/generate.js';
import { prng } from '../test/support/random.js';

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

// The breakdown repeats createPayoutRun's reads and its pure composition, phase by phase.
const breakdown: Record<string, number> = {};
await database.transaction(async (tx) => {
  let t = performance.now();
  const outstanding = await outstandingDueBefore(tx, generated.programId, new Date(monthStart(RUN_MONTH)));
  breakdown['sum outstanding (SQL)'] = seconds(t);
  t = performance.now();
  const ids = [...new Set(outstanding.map((row) => row.affiliateId))];
  const forms = await tx.select({ id: taxForms.affiliateId }).from(taxForms).where(sql`${taxForms.affiliateId} = any(${sql.param(ids)})`);
  const accounts = await tx.select({ id: payoutAccounts.affiliateId }).from(payoutAccounts).where(sql`${payoutAccounts.affiliateId} = any(${sql.param(ids)})`);
  breakdown['select payee facts (= any)'] = seconds(t);
  void forms;
  void accounts;
  t = performance.now();
  const payees = Array.from({ length: input.affiliates }, (_, index) => ({ id: affiliateId(index), taxFormComplete: index % 10 !== 0, payoutAccount: index % 7 !== 0 ? 'x@paypal.bench' : null }));
  composePayoutRunFromOutstanding({ month: RUN_MONTH, outstanding, affiliates: payees });
  breakdown['compose (pure)'] = seconds(t);
  breakdown['rows loaded'] = outstanding.length;
});

// --- Tier evaluation for every affiliate. ---
const tierStarted = performance.now();
const horizon = new Date(NOW.getTime());
horizon.setUTCMonth(horizon.getUTCMonth() - 12);
horizon.setTime(horizon.getTime() - 46 * 86_400_000);
const tiers = await database.transaction(async (tx) => {
  const program = await findProgram(tx, generated.slug);
  // One read of the trailing window's sales and one of their refunds, as plain values (instants as
  // epoch milliseconds, no ORM mapping): at full size that is 1.5M rows, and mapping each through
  // Drizzle and a Date was a fifth of the evaluation.
  const inWindow = sql`${payments.programId} = ${program.id} and ${payments.saleAffiliateId} is not null and ${payments.paidAt} >= ${horizon.toISOString()}::timestamptz`;
  const refundRows = (
    (await tx.execute(sql`
      select ${refunds.paymentId} as payment_id, ${refunds.amount} as amount, trunc(extract(epoch from ${refunds.at}) * 1000)::bigint as at_ms
      from ${refunds} join ${payments} on ${payments.programId} = ${refunds.programId} and ${payments.externalId} = ${refunds.paymentId}
      where ${refunds.programId} = ${program.id} and ${inWindow}`)) as unknown as { rows: Array<{ payment_id: string; amount: string | number; at_ms: string | number }> }
  ).rows;
  const sales = (
    (await tx.execute(sql`
      select ${payments.saleAffiliateId} as affiliate_id, ${payments.externalId} as payment_id, ${payments.customerId} as customer_id, ${payments.amount} as amount,
        trunc(extract(epoch from ${payments.paidAt}) * 1000)::bigint as paid_ms
      from ${payments} where ${inWindow}`)) as unknown as { rows: Array<{ affiliate_id: string; payment_id: string; customer_id: string; amount: string | number; paid_ms: string | number }> }
  ).rows;
  const refundsBy = new Map<string, RefundFact[]>();
  for (const r of refundRows) {
    const fact = { amountMinor: Number(r.amount), at: Number(r.at_ms) };
    const list = refundsBy.get(r.payment_id);
    if (list) list.push(fact);
    else refundsBy.set(r.payment_id, [fact]);
  }
  const byAffiliate = new Map<string, SaleFact[]>();
  for (const s of sales) {
    const fact = { paymentId: s.payment_id, customerId: s.customer_id, amountMinor: Number(s.amount), paidAt: Number(s.paid_ms), refunds: refundsBy.get(s.payment_id) ?? [] };
    const list = byAffiliate.get(s.affiliate_id);
    if (list) list.push(fact);
    else byAffiliate.set(s.affiliate_id, [fact]);
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
