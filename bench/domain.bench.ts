// Domain benchmarks (a plain script: `npx tsx bench/domain.bench.ts`). Each figure is printed beside
// a baseline measured in the same run on the same data, so the ratio means something on any machine.
//   1. R5 tier evaluation + commission computation for an affiliate with 10k prior sales.
//   2. R8 payout composition for 100k affiliates.
import {
  commissionsForPayment,
  composePayoutRun,
  DEFAULT_PLAN,
  SalesBook,
  tierAt,
  type AffiliateFact,
  type Attribution,
  type Commission,
  type LedgerEntry,
  type PayeeFact,
  type PaymentFact,
  type ProgramSettings,
  type SaleFact,
  type SubscriptionFact,
} from '../src/domain/index.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2028, 0, 15, 12);

function measure(label: string, iterations: number, run: (index: number) => unknown): number {
  let sink = 0;
  for (let warm = 0; warm < Math.min(iterations, 200); warm += 1) sink += Number(Boolean(run(warm)));
  const started = performance.now();
  for (let index = 0; index < iterations; index += 1) sink += Number(Boolean(run(index)));
  const elapsedMs = performance.now() - started;
  const perOpUs = (elapsedMs * 1000) / iterations;
  console.log(`${label.padEnd(64)} ${String(Math.round(1e6 / perOpUs)).padStart(10)} ops/s ${perOpUs.toFixed(2).padStart(10)} µs/op${sink < 0 ? '!' : ''}`);
  return perOpUs;
}

// --- 1. One affiliate with 10k prior sales -------------------------------------------------------
const sales: SaleFact[] = [];
for (let index = 0; index < 10_000; index += 1) {
  const paidAt = NOW - DAY * 400 + Math.floor((index * DAY * 400) / 10_000);
  sales.push({ paymentId: `pay_${index}`, customerId: `cus_${index % 2_500}`, amountMinor: 4_900 + (index % 7) * 1_000, paidAt, refunds: index % 13 === 0 ? [{ amountMinor: 1_000, at: paidAt + DAY }] : [] });
}
const book = SalesBook.from(sales);
const settings: ProgramSettings = { cookieDays: 30, holdDays: 45, refundDays: 30, jvRateBps: 1_000, currency: 'usd', plan: DEFAULT_PLAN };
const approved = { status: 'approved' as const, approvedAt: 0, dismissedAt: null };
const affiliate: AffiliateFact = { id: 'aff_a', email: 'a@aff.test', customerId: null, recruitedBy: 'aff_r', enrolment: approved };
const recruiter: AffiliateFact = { id: 'aff_r', email: 'r@aff.test', customerId: null, recruitedBy: null, enrolment: approved };
const subscription: SubscriptionFact = {
  id: 'sub_x',
  customerId: 'cus_x',
  interval: 'month',
  firstEventAt: NOW - DAY * 60,
  canceledAt: null,
  binding: { affiliateId: 'aff_a', boundAt: NOW - DAY * 60, source: { type: 'click', clickId: 'clk_x', clickedAt: NOW - DAY * 61, linkId: null } },
  firstFullPaymentId: 'pay_first',
};
const attribution: Attribution = { credited: true, affiliateId: 'aff_a', source: subscription.binding!.source, binding: 'existing', boundAt: NOW - DAY * 60, ignoredClickId: null };
const noFingerprints = new Set<string>();
const payment = (index: number): PaymentFact => ({
  id: `pay_new_${index}`,
  subscriptionId: 'sub_x',
  customerId: 'cus_x',
  customerEmail: 'x@cust.test',
  amountMinor: 9_900,
  paidAt: NOW + index,
  fullPrice: true,
  fingerprint: null,
  accountOwnedByAffiliateId: null,
});

console.log(`\nR5 tier + R4/R6 commission, one affiliate with ${sales.length} prior sales (standing: ${tierAt(book, NOW, DEFAULT_PLAN, 45).tier.key})`);
const baselineSum = measure('baseline: plain Σ amount over the same 10k sales', 5_000, () => {
  let total = 0;
  for (const sale of sales) total += sale.amountMinor;
  return total;
});
const tierOnly = measure('tierAt(SalesBook, now)', 5_000, (index) => tierAt(book, NOW + index, DEFAULT_PLAN, 45));
const full = measure('commissionsForPayment(…, SalesBook) incl. tier (R5.3)', 5_000, (index) =>
  commissionsForPayment({ settings, payment: payment(index), subscription, attribution, affiliate, recruiter, affiliateSales: book, affiliateFingerprints: noFingerprints }),
);
const fromRows = measure('commissionsForPayment(…, SaleFact[] rows): one linear pass', 300, (index) =>
  commissionsForPayment({ settings, payment: payment(index), subscription, attribution, affiliate, recruiter, affiliateSales: sales, affiliateFingerprints: noFingerprints }),
);
// The machine may be shared: measure the baseline again and compare against the faster of the two.
const baselineAgain = measure('baseline again (after), same loop', 5_000, () => {
  let total = 0;
  for (const sale of sales) total += sale.amountMinor;
  return total;
});
const baselineBest = Math.min(baselineSum, baselineAgain);
console.log(`ratios to the faster baseline: tierAt ×${(tierOnly / baselineBest).toFixed(2)}, commission ×${(full / baselineBest).toFixed(2)}, from rows ×${(fromRows / baselineBest).toFixed(2)}`);

// --- 2. Payout composition for 100k affiliates ---------------------------------------------------
const AFFILIATES = 100_000;
const commissions: Commission[] = [];
const entries: LedgerEntry[] = [];
const payees: PayeeFact[] = [];
const basis = { source: { type: 'referral_code' as const, code: 'c', linkId: null }, binding: 'new' as const, boundAt: 0, interval: 'month' as const, rateKind: 'recurring' as const, paymentAmountMinor: 9_900, tier: { key: 'tier_1', trailingRevenueMinor: 0, distinctCustomers: 0 }, recruitAffiliateId: null, selfReferralSignals: [] };
for (let a = 0; a < AFFILIATES; a += 1) {
  const affiliateId = `aff_${a}`;
  payees.push({ id: affiliateId, taxFormComplete: a % 10 !== 0, payoutAccount: a % 17 === 0 ? null : `${affiliateId}@pp.test` });
  for (let c = 0; c < 3; c += 1) {
    const earnedAt = Date.UTC(2027, 0, 1) + ((a * 3 + c) % 120) * DAY;
    const id = `com_${a}_${c}`;
    commissions.push({ id, kind: 'direct', affiliateId, paymentId: `pay_${a}_${c}`, subscriptionId: `sub_${a}`, customerId: `cus_${a}`, amountMinor: 1_980, rateBps: 2_000, tierKey: 'tier_1', earnedAt, dueAt: earnedAt + 45 * DAY, status: 'active', reason: null, sourceCommissionId: null, basis });
    entries.push({ id: `ent_${id}.earn`, commissionId: id, affiliateId, type: 'earn', amountMinor: 1_980, at: earnedAt, reason: 'payment', ref: null });
    if ((a + c) % 11 === 0) entries.push({ id: `ent_${id}.reverse.1`, commissionId: id, affiliateId, type: 'reverse', amountMinor: -990, at: earnedAt + DAY, reason: 'refund', ref: '4950' });
  }
}
console.log(`\nR8 payout composition: ${AFFILIATES} affiliates, ${commissions.length} commissions, ${entries.length} entries`);
const time = (label: string, rounds: number, run: () => unknown): number => {
  run();
  const started = performance.now();
  let result: unknown;
  for (let round = 0; round < rounds; round += 1) result = run();
  const ms = (performance.now() - started) / rounds;
  console.log(`${label.padEnd(64)} ${ms.toFixed(1).padStart(10)} ms${result === undefined ? '!' : ''}`);
  return ms;
};
const baseline = time('baseline: plain Σ entries by commission into a Map + Σ per affiliate', 5, () => {
  const byCommission = new Map<string, number>();
  for (const entry of entries) byCommission.set(entry.commissionId, (byCommission.get(entry.commissionId) ?? 0) + entry.amountMinor);
  const byAffiliate = new Map<string, number>();
  for (const commission of commissions) byAffiliate.set(commission.affiliateId, (byAffiliate.get(commission.affiliateId) ?? 0) + (byCommission.get(commission.id) ?? 0));
  return byAffiliate;
});
const compose = time('composePayoutRun({ month: "2027-05", … })', 5, () => composePayoutRun({ month: '2027-05', commissions, entries, affiliates: payees }));
const run = composePayoutRun({ month: '2027-05', commissions, entries, affiliates: payees });
console.log(`items ${run.items.length}, withheld ${run.withheld.length}; ratio to baseline ×${(compose / baseline).toFixed(2)}`);
