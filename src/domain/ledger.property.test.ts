// Proves, over random histories (fast-check), that the ledger never creates or loses a cent:
// reversals match what they reverse and never exceed it (R4.3), replay is deterministic, payouts
// only pay what was due before the month (R8.1) and never twice, and balances recomputed from the
// entries alone equal the reported ones (R7.2).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { replay, type History, type HistoryEvent } from './engine.js';
import { assertLedgerInvariants, balancesByAffiliate, commissionTotals, entriesByCommission, type Commission, type LedgerEntry } from './ledger.js';
import { applyRateBps } from './money.js';
import { DEFAULT_PLAN } from './plan.js';
import { affiliate, customer, days, kartra, t } from './test-helpers.js';

const T0 = t('2027-01-01T00:00:00Z');
const AFFILIATES = ['aff_0', 'aff_1', 'aff_2', 'aff_3', 'aff_4'];
const CUSTOMERS = ['cus_self_0', 'cus_1', 'cus_2', 'cus_3', 'cus_4', 'cus_5', 'cus_6'];

const step = fc.record({
  day: fc.integer({ min: 0, max: 420 }),
  kind: fc.constantFrom('sale', 'sale', 'sale', 'rebill', 'rebill', 'rebill', 'refund', 'dispute', 'cancel', 'reassign', 'dismiss', 'payee'),
  a: fc.nat(1000),
  b: fc.nat(1000),
  amount: fc.integer({ min: 1, max: 250_000 }),
  fullPrice: fc.boolean(),
  flag: fc.nat(9),
});

const setup = fc.record({
  recruiters: fc.array(fc.integer({ min: -1, max: 4 }), { minLength: 5, maxLength: 5 }),
  holdDays: fc.constantFrom(0, 30, 45),
  jvRateBps: fc.constantFrom(0, 1000, 2500),
  steps: fc.array(step, { minLength: 1, maxLength: 45 }),
  fails: fc.array(fc.nat(4), { maxLength: 4 }),
});

type Setup = typeof setup extends fc.Arbitrary<infer T> ? T : never;

/** Turns random steps into a well-formed history: events sorted by time, monthly payout runs on the 15th. */
function buildHistory(input: Setup): History {
  const affiliates = AFFILIATES.map((id, index) => {
    const recruiter = input.recruiters[index] ?? -1;
    return affiliate(id, {
      recruitedBy: recruiter >= 0 && recruiter !== index ? `aff_${recruiter}` : null,
      customerId: index === 0 ? 'cus_self_0' : null,
      status: index === 4 && recruiter === 4 ? 'pending' : 'approved',
      taxFormComplete: index !== 3,
    });
  });
  const timed: { at: number; order: number; event: HistoryEvent }[] = [];
  const subscriptions: string[] = [];
  const payments: string[] = [];
  let order = 0;
  const push = (at: number, event: HistoryEvent) => timed.push({ at, order: order++, event });
  input.steps.forEach((s, index) => {
    const at = T0 + days(s.day) + index * 60_000;
    const pick = <T>(list: readonly T[], n: number): T | undefined => list[n % Math.max(1, list.length)];
    switch (s.kind) {
      case 'sale': {
        const sub = `sub_${index}`;
        const aff = pick(AFFILIATES, s.a) as string;
        const clickAt = at - days(s.flag * 4); // sometimes outside the 30-day window
        push(clickAt, { type: 'click', id: `clk_${index}`, affiliateId: aff, at: clickAt, isBot: s.flag === 9 });
        subscriptions.push(sub);
        payments.push(`pay_${index}`);
        push(at, {
          type: 'payment.succeeded',
          paymentId: `pay_${index}`,
          subscriptionId: sub,
          customer: customer(pick(CUSTOMERS, s.b) as string),
          interval: s.flag % 3 === 0 ? 'year' : 'month',
          amountMinor: s.amount,
          fullPrice: s.fullPrice || s.flag > 3,
          fingerprint: `card_${s.b % 4}`,
          accountOwnedByAffiliateId: s.flag === 1 ? aff : null,
          at,
          clickId: s.flag === 8 ? null : `clk_${index}`,
          referralCode: s.flag >= 7 ? `code_${pick(AFFILIATES, s.b)}` : null,
        });
        return;
      }
      case 'rebill': {
        const sub = pick(subscriptions, s.a);
        if (!sub) return;
        payments.push(`pay_${index}`);
        push(at, { type: 'payment.succeeded', paymentId: `pay_${index}`, subscriptionId: sub, customer: customer(`cus_of_${sub}`), amountMinor: s.amount, fullPrice: s.fullPrice || s.flag > 2, fingerprint: null, at });
        return;
      }
      case 'refund': {
        const pay = pick(payments, s.a);
        if (pay) push(at, { type: 'payment.refunded', paymentId: pay, at, ...(s.flag < 5 ? { amountMinor: 1 + (s.amount % 60_000) } : {}) });
        return;
      }
      case 'dispute': {
        const pay = pick(payments, s.a);
        if (pay) push(at, { type: 'payment.disputed', paymentId: pay, at });
        return;
      }
      case 'cancel': {
        const sub = pick(subscriptions, s.a);
        if (sub) push(at, { type: 'subscription.canceled', subscriptionId: sub, at });
        return;
      }
      case 'reassign': {
        const sub = pick(subscriptions, s.a);
        if (sub) push(at, { type: 'reassign', subscriptionId: sub, affiliateId: pick(AFFILIATES, s.b) as string, at });
        return;
      }
      case 'dismiss':
        if (s.flag < 3) push(at, { type: 'dismiss', affiliateId: pick(AFFILIATES, s.a) as string, at });
        return;
      case 'payee':
        push(at, { type: 'payee.updated', affiliateId: pick(AFFILIATES, s.a) as string, at, taxFormComplete: s.flag > 2, payoutAccount: s.flag === 0 ? null : `${s.a}@pp.test` });
        return;
    }
  });
  for (let month = 1; month <= 16; month += 1) {
    const start = Date.UTC(2027, month, 1);
    const label = new Date(start).toISOString().slice(0, 7);
    const fail = input.fails.filter((n) => n % 2 === month % 2).map((n) => `aff_${n}`);
    push(Date.UTC(2027, month, 15), { type: 'payout.run', month: label, at: Date.UTC(2027, month, 15), failAffiliateIds: fail });
  }
  timed.sort((x, y) => x.at - y.at || x.order - y.order);
  return { programId: 'kartra', program: kartra({ holdDays: input.holdDays, refundDays: 0, jvRateBps: input.jvRateBps, plan: DEFAULT_PLAN }), affiliates, events: timed.map((item) => item.event) };
}

/** A deliberately naive R7.1 reference: per commission, classify its sums by the clock. */
function naiveBalances(commissions: readonly Commission[], entries: readonly LedgerEntry[], now: number) {
  const grouped = entriesByCommission(entries);
  const result = new Map<string, { reserve: number; due: number; paid: number }>();
  for (const commission of commissions) {
    const balance = result.get(commission.affiliateId) ?? { reserve: 0, due: 0, paid: 0 };
    const totals = commissionTotals(grouped.get(commission.id) ?? [], now);
    if (now < commission.dueAt) balance.reserve += totals.earned - totals.reversed - totals.paid;
    else balance.due += totals.outstanding;
    balance.paid += totals.paid;
    result.set(commission.affiliateId, balance);
  }
  return result;
}

/**
 * The oracle for R4.3: what each payment has had refunded or disputed, read from the history's own
 * events rather than from the engine's state (a sales book loses a sale that is reassigned away, so
 * it cannot say what was refunded before). A refund without an amount, and a dispute, take what is
 * left; no refund takes more than what is left; a refund of a payment not yet seen changes nothing.
 */
function refundedPerPayment(h: History): Map<string, number> {
  const amounts = new Map<string, number>();
  const refunded = new Map<string, number>();
  for (const event of h.events) {
    if (event.type === 'payment.succeeded' && !amounts.has(event.paymentId)) {
      amounts.set(event.paymentId, event.amountMinor);
    } else if (event.type === 'payment.refunded' || event.type === 'payment.disputed') {
      const amount = amounts.get(event.paymentId);
      if (amount === undefined) continue;
      const remaining = amount - (refunded.get(event.paymentId) ?? 0);
      const requested = event.type === 'payment.refunded' && event.amountMinor !== undefined ? event.amountMinor : remaining;
      refunded.set(event.paymentId, (refunded.get(event.paymentId) ?? 0) + Math.max(0, Math.min(requested, remaining)));
    }
  }
  return refunded;
}

const RUNS = 150;

describe('ledger properties over random histories', () => {
  it('no cent is created or lost; reversals match what they reverse; balances equal a naive recomputation', () => {
    fc.assert(
      fc.property(setup, (input) => {
        const h = buildHistory(input);
        const result = replay(h);
        assertLedgerInvariants(result.commissions, result.entries);
        const grouped = entriesByCommission(result.entries);
        const payments = new Map(result.payments.map((p) => [p.id, p]));
        const refundsByPayment = refundedPerPayment(h);
        let earned = 0;
        let reversed = 0;
        let paid = 0;
        for (const commission of result.commissions) {
          const list = grouped.get(commission.id) ?? [];
          const totals = commissionTotals(list);
          earned += totals.earned;
          reversed += totals.reversed;
          paid += totals.paid;
          const payment = payments.get(commission.paymentId);
          expect(payment).toBeDefined();
          if (commission.status === 'rejected') continue;
          // Amounts come from the one rounding rule, at the stored rate.
          expect(commission.amountMinor).toBe(applyRateBps(payment!.amountMinor, commission.rateBps));
          if (commission.kind === 'jv') expect(commission.rateBps).toBe(h.program.jvRateBps);
          // Each reversal matches exactly what it reverses.
          const byReassignment = list.some((entry) => entry.reason === 'reassignment');
          if (byReassignment) {
            expect(totals.reversed).toBe(totals.earned);
          } else {
            const refundedMinor = refundsByPayment.get(commission.paymentId) ?? 0;
            expect(totals.reversed).toBe(Math.min(commission.amountMinor, applyRateBps(Math.min(refundedMinor, payment!.amountMinor), commission.rateBps)));
          }
          expect(totals.reversed).toBeLessThanOrEqual(totals.earned);
        }
        // Conservation: what was earned is either reversed, still owed (reserve + due), or paid.
        const end = Number.MAX_SAFE_INTEGER;
        const all = [...balancesByAffiliate(result.entries, result.commissions, end).values()];
        const owed = all.reduce((sum, b) => sum + b.reserve + b.due, 0);
        const sent = all.reduce((sum, b) => sum + b.paid, 0);
        expect(sent).toBe(paid);
        expect(owed + sent).toBe(earned - reversed);
        // Every payout run's sent amount equals what the ledger calls paid.
        const runTotals = result.runs.flatMap((run) => run.run.items.filter((item) => run.paidAffiliateIds.includes(item.affiliateId))).reduce((sum, item) => sum + item.amountMinor, 0);
        expect(runTotals).toBe(paid);
        // Balances from entries alone equal the reported ones, at many instants.
        for (const now of [T0, T0 + days(50), T0 + days(200), T0 + days(400), end]) {
          const reported = balancesByAffiliate(result.entries, result.commissions, now);
          const naive = naiveBalances(result.commissions, result.entries, now);
          expect(Object.fromEntries(reported)).toEqual(Object.fromEntries(naive));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('replaying the same history twice gives identical commissions and entries', () => {
    fc.assert(
      fc.property(setup, (input) => {
        const h = buildHistory(input);
        const first = replay(h);
        const second = replay(structuredClone(h));
        expect(second.commissions).toEqual(first.commissions);
        expect(second.entries).toEqual(first.entries);
        expect(second.runs).toEqual(first.runs);
      }),
      { numRuns: 60 },
    );
  });

  it('a payout only includes commissions due before the month’s first day, and never pays one twice', () => {
    fc.assert(
      fc.property(setup, (input) => {
        const result = replay(buildHistory(input));
        const byId = new Map(result.commissions.map((c) => [c.id, c]));
        const sentPositive = new Map<string, number>();
        for (const run of result.runs) {
          for (const item of [...run.run.items, ...run.run.withheld]) {
            for (const id of item.commissionIds) {
              const commission = byId.get(id)!;
              expect(commission.dueAt).toBeLessThan(run.run.cutoff);
              expect(commission.affiliateId).toBe(item.affiliateId);
            }
          }
          for (const item of run.run.items) {
            expect(item.amountMinor).toBeGreaterThan(0);
            expect(item.lines.reduce((sum, line) => sum + line.amountMinor, 0)).toBe(item.amountMinor);
            if (!run.paidAffiliateIds.includes(item.affiliateId)) continue;
            for (const line of item.lines) if (line.amountMinor > 0) sentPositive.set(line.commissionId, (sentPositive.get(line.commissionId) ?? 0) + line.amountMinor);
          }
          // Right after a run's payout entries, every paid commission has nothing outstanding.
          const lastIndex = result.entries.map((e) => e.ref).lastIndexOf(run.runId);
          if (lastIndex >= 0) {
            const prefix = entriesByCommission(result.entries.slice(0, lastIndex + 1));
            for (const item of run.run.items) {
              if (!run.paidAffiliateIds.includes(item.affiliateId)) continue;
              for (const line of item.lines) expect(commissionTotals(prefix.get(line.commissionId) ?? []).outstanding).toBe(0);
            }
          }
        }
        // Whatever was sent for a commission never exceeds what it earned.
        for (const [id, sent] of sentPositive) expect(sent).toBeLessThanOrEqual(byId.get(id)!.amountMinor);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the random histories are not vacuous', () => {
  it('exercise refunds, chargebacks, reassignments, clawbacks, self-referrals, JV, withholding and failed items', () => {
    const seen = { partialRefund: 0, dispute: 0, reassignment: 0, refusedReassignment: 0, clawbackLine: 0, rejected: 0, jv: 0, withheld: 0, failed: 0, paid: 0, agency: 0, dismissed: 0 };
    for (const input of fc.sample(setup, { numRuns: 300, seed: 42 })) {
      const result = replay(buildHistory(input));
      seen.partialRefund += result.entries.filter((e) => e.reason === 'refund' && result.commissions.find((c) => c.id === e.commissionId)!.amountMinor > -e.amountMinor).length;
      seen.dispute += result.entries.filter((e) => e.reason === 'dispute').length;
      seen.reassignment += result.entries.filter((e) => e.reason === 'reassignment').length;
      seen.refusedReassignment += result.outcomes.filter((o) => o.error?.code === 'reassignment_window_closed').length;
      seen.clawbackLine += result.runs.flatMap((r) => r.run.items.flatMap((i) => i.lines)).filter((l) => l.amountMinor < 0).length;
      seen.rejected += result.commissions.filter((c) => c.status === 'rejected').length;
      seen.jv += result.commissions.filter((c) => c.kind === 'jv').length;
      seen.withheld += result.runs.flatMap((r) => r.run.withheld).length;
      seen.failed += result.runs.flatMap((r) => r.failedAffiliateIds).length;
      seen.paid += result.entries.filter((e) => e.type === 'payout').length;
      seen.agency += result.outcomes.filter((o) => o.reasons.includes('agency_owned')).length;
      seen.dismissed += result.outcomes.filter((o) => o.reasons.includes('affiliate_not_approved')).length;
    }
    for (const [path, count] of Object.entries(seen)) expect(count, path).toBeGreaterThan(0);
  });
});
