// Proves R5.1–R5.4 and R5.6: which sales count at an instant (hold passed, 12-month window,
// net of refunds, distinct customers), the R5.3 strictness, demotion as the window rolls, and `next`.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SaleFact } from './facts.js';
import { DEFAULT_PLAN } from './plan.js';
import { SalesBook, standingFor, tierAt, tierForPayment, tierWindow } from './tiers.js';
import { days, t } from './test-helpers.js';

const sale = (paymentId: string, customerId: string, amountMinor: number, paidAt: number, refunds: SaleFact['refunds'] = []): SaleFact => ({ paymentId, customerId, amountMinor, paidAt, refunds });
const jan1 = t('2027-01-01T10:00:00Z');

describe('R5.1/R5.2 what counts at instant t', () => {
  const two = [sale('p1', 'c1', 50_000, jan1), sale('p2', 'c2', 60_000, jan1 + days(1))];
  it.each([
    ['before either hold passed', jan1 + days(45) - 1, 'referral', 0, 0],
    ['exactly when the first hold passes (paidAt + 45 d ≤ t)', jan1 + days(45), 'referral', 50_000, 1],
    ['when both holds passed: 2 distinct customers, $1,100 > $1,000', jan1 + days(46), 'tier_2', 110_000, 2],
    ['just before the first sale is 12 months old', t('2028-01-01T10:00:00Z') - 1, 'tier_2', 110_000, 2],
    ['when the first sale is 12 calendar months old it drops out (R5.4)', t('2028-01-01T10:00:00Z'), 'referral', 60_000, 1],
    ['when both dropped out', t('2028-01-02T10:00:00Z'), 'referral', 0, 0],
  ])('%s → %s', (_name, at, tier, revenue, customers) => {
    const standing = tierAt(two, at, DEFAULT_PLAN, 45);
    expect([standing.tier.key, standing.trailingRevenueMinor, standing.distinctCustomers]).toEqual([tier, revenue, customers]);
  });

  it('two sales to the same customer are one distinct customer', () => {
    const standing = tierAt([sale('p1', 'c1', 80_000, jan1), sale('p2', 'c1', 80_000, jan1)], jan1 + days(50), DEFAULT_PLAN, 45);
    expect([standing.tier.key, standing.distinctCustomers, standing.trailingRevenueMinor]).toEqual(['referral', 1, 160_000]);
  });

  it('"$1,000" is exclusive: exactly 100000 stays tier 1, 100001 is tier 2', () => {
    expect(tierAt([sale('p1', 'c1', 50_000, jan1), sale('p2', 'c2', 50_000, jan1)], jan1 + days(45), DEFAULT_PLAN, 45).tier.key).toBe('tier_1');
    expect(tierAt([sale('p1', 'c1', 50_000, jan1), sale('p2', 'c2', 50_001, jan1)], jan1 + days(45), DEFAULT_PLAN, 45).tier.key).toBe('tier_2');
  });

  it('tier 3 needs more than $10,000 and two customers', () => {
    const big = [sale('p1', 'c1', 1_000_001, jan1)];
    expect(tierAt(big, jan1 + days(45), DEFAULT_PLAN, 45).tier.key).toBe('referral');
    expect(tierAt([...big, sale('p2', 'c2', 100, jan1)], jan1 + days(45), DEFAULT_PLAN, 45).tier.key).toBe('tier_3');
  });

  it.each([
    ['a refund known at t nets the revenue', [{ amountMinor: 20_000, at: jan1 + days(10) }], jan1 + days(46), 'tier_1', 90_000, 2],
    ['a refund after t is not known yet', [{ amountMinor: 20_000, at: jan1 + days(50) }], jan1 + days(46), 'tier_2', 110_000, 2],
    ['a fully refunded sale counts for nothing, not even its customer', [{ amountMinor: 60_000, at: jan1 + days(10) }], jan1 + days(46), 'referral', 50_000, 1],
    ['a sale refunded in two parts to zero counts for nothing', [{ amountMinor: 30_000, at: jan1 + days(5) }, { amountMinor: 30_000, at: jan1 + days(6) }], jan1 + days(46), 'referral', 50_000, 1],
  ])('%s', (_name, refunds, at, tier, revenue, customers) => {
    const sales = [sale('p1', 'c1', 50_000, jan1), sale('p2', 'c2', 60_000, jan1 + days(1), refunds)];
    const standing = tierAt(sales, at, DEFAULT_PLAN, 45);
    expect([standing.tier.key, standing.trailingRevenueMinor, standing.distinctCustomers]).toEqual([tier, revenue, customers]);
  });

  it('the 12-month window is in calendar months (leap day clamps)', () => {
    const leap = [sale('p1', 'c1', 500, t('2028-02-29T08:00:00Z')), sale('p2', 'c2', 500, t('2028-02-29T08:00:00Z'))];
    expect(tierAt(leap, t('2029-02-28T08:00:00Z') - 1, DEFAULT_PLAN, 45).distinctCustomers).toBe(2);
    expect(tierAt(leap, t('2029-02-28T08:00:00Z'), DEFAULT_PLAN, 45).distinctCustomers).toBe(2);
    expect(tierAt(leap, t('2029-03-01T08:00:00Z'), DEFAULT_PLAN, 45).distinctCustomers).toBe(0);
  });
});

describe('tierWindow: the edges `measure` and the tier card’s database sums share', () => {
  it.each([
    ['mid-month, 45-day hold', t('2028-07-02T00:00:00Z'), 45, false, [t('2027-07-02T00:00:00Z'), t('2028-05-18T00:00:00Z'), t('2028-07-02T00:00:00Z')]],
    ['strictly before (R5.3): one millisecond earlier', t('2028-07-02T00:00:00Z'), 45, true, [t('2027-07-02T00:00:00Z'), t('2028-05-18T00:00:00Z') - 1, t('2028-07-02T00:00:00Z') - 1]],
    ['a leap day: the window opens on Feb 28 (calendar months clamp)', t('2028-02-29T08:30:00Z'), 0, false, [t('2027-02-28T08:30:00Z'), t('2028-02-29T08:30:00Z'), t('2028-02-29T08:30:00Z')]],
  ])('%s', (_name, at, hold, strict, [paidAfter, paidThrough, refundsThrough]) => {
    expect(tierWindow(at, hold, strict)).toEqual({ paidAfter, paidThrough, refundsThrough });
  });
});

describe('R5.3 a payment is priced from sales that counted strictly before it', () => {
  const sales = [sale('p1', 'c1', 500, jan1), sale('p2', 'c2', 500, jan1 + days(1))];
  it('a sale whose hold ends exactly at the payment instant did not count strictly before it', () => {
    const at = jan1 + days(46); // p2's hold ends exactly now
    expect(tierAt(sales, at, DEFAULT_PLAN, 45).tier.key).toBe('tier_1');
    expect(tierForPayment(sales, at, DEFAULT_PLAN, 45).tier.key).toBe('referral');
    expect(tierForPayment(sales, at + 1, DEFAULT_PLAN, 45).tier.key).toBe('tier_1');
  });
  it('with no hold, the crossing sale itself is still paid at the old rate', () => {
    const book = SalesBook.from([sale('p1', 'c1', 500, jan1)]);
    book.add(sale('p2', 'c2', 500, jan1 + days(1))); // the sale being priced is already in the book
    expect(tierForPayment(book, jan1 + days(1), DEFAULT_PLAN, 0).tier.key).toBe('referral');
    expect(tierAt(book, jan1 + days(1), DEFAULT_PLAN, 0).tier.key).toBe('tier_1');
  });
  it('a refund at the very payment instant is not yet known to it', () => {
    const refundedNow = [sale('p1', 'c1', 500, jan1), sale('p2', 'c2', 500, jan1, [{ amountMinor: 500, at: jan1 + days(50) }])];
    expect(tierForPayment(refundedNow, jan1 + days(50), DEFAULT_PLAN, 45).tier.key).toBe('tier_1');
    expect(tierAt(refundedNow, jan1 + days(50), DEFAULT_PLAN, 45).tier.key).toBe('referral');
  });
});

describe('sales the store measured (MeasuredSales)', () => {
  const at = jan1 + days(60);
  const measured = { window: tierWindow(at, 45, true), totals: { revenueMinor: 1000, customers: 2 } };
  it('price a payment at their window’s instant from the totals as they are', () => {
    const standing = tierForPayment(measured, at, DEFAULT_PLAN, 45);
    expect([standing.tier.key, standing.trailingRevenueMinor, standing.distinctCustomers]).toEqual(['tier_1', 1000, 2]);
  });
  it.each([
    ['another instant', at + 1, 45, 'payment'],
    ['another hold', at, 30, 'payment'],
    ['the non-strict window of the same instant', at, 45, 'card'],
  ] as const)('are refused for %s', (_name, when, hold, kind) => {
    const evaluate = () => (kind === 'payment' ? tierForPayment(measured, when, DEFAULT_PLAN, hold) : tierAt(measured, when, DEFAULT_PLAN, hold));
    expect(evaluate).toThrow(/were evaluated for/);
  });
});

describe('R5.6 dashboard figures and next tier', () => {
  it.each([
    [0, 0, 'referral', 10000, { tierKey: 'tier_1', revenueNeededMinor: 0, customersNeeded: 2 }],
    [30_000, 1, 'referral', 10000, { tierKey: 'tier_1', revenueNeededMinor: 0, customersNeeded: 1 }],
    [30_000, 2, 'tier_1', 2000, { tierKey: 'tier_2', revenueNeededMinor: 70_001, customersNeeded: 0 }],
    [100_000, 5, 'tier_1', 2000, { tierKey: 'tier_2', revenueNeededMinor: 1, customersNeeded: 0 }],
    [100_001, 2, 'tier_2', 3000, { tierKey: 'tier_3', revenueNeededMinor: 900_000, customersNeeded: 0 }],
    [5_000_000, 1, 'referral', 10000, { tierKey: 'tier_1', revenueNeededMinor: 0, customersNeeded: 1 }],
    [5_000_000, 2, 'tier_3', 4000, null],
  ])('revenue %i, %i customers → %s at %i bps', (revenue, customers, tier, rate, next) => {
    const standing = standingFor(DEFAULT_PLAN, revenue, customers);
    expect([standing.tier.key, standing.rateBps, standing.next]).toEqual([tier, rate, next]);
  });
});

describe('SalesBook', () => {
  it('keeps sales in time order whatever the arrival order, and supports remove/refund/clone', () => {
    const book = new SalesBook();
    book.add(sale('p3', 'c3', 3, jan1 + 3));
    book.add(sale('p1', 'c1', 1, jan1 + 1));
    book.add(sale('p2', 'c2', 2, jan1 + 2));
    expect(book.sales().map((s) => s.paymentId)).toEqual(['p1', 'p2', 'p3']);
    const copy = book.clone();
    expect(book.remove('p2')?.paymentId).toBe('p2');
    expect(book.remove('p2')).toBeNull();
    expect(book.refund('p1', 1, jan1 + 5)).toBe(true);
    expect(book.refund('nope', 1, jan1)).toBe(false);
    expect(copy.size).toBe(3);
    expect(copy.sales()[0]?.refunds).toEqual([]);
    expect(() => book.add(sale('p1', 'c1', 1, jan1))).toThrow(/already/);
  });

  it('evaluates 10k sales quickly and matches a naive recomputation (no O(n²))', () => {
    const sales: SaleFact[] = [];
    for (let index = 0; index < 10_000; index += 1) {
      const amount = 1_000 + (index % 50);
      // Every 10th sale is fully refunded early (known at t), every 7th partly refunded late (unknown at t).
      const refunds = index % 10 === 0 ? [{ amountMinor: amount, at: jan1 + days(100) }] : index % 7 === 0 ? [{ amountMinor: 10, at: jan1 + days(400) }] : [];
      sales.push(sale(`p${index}`, `c${index % 997}`, amount, jan1 + index * 3_600_000, refunds));
    }
    const book = SalesBook.from(sales);
    const at = jan1 + days(380); // 2028-01-16T10:00Z: the window opens after 2027-01-16T10:00Z
    const naive = sales.filter((s) => s.paidAt + days(45) <= at && s.paidAt > t('2027-01-16T10:00:00Z'));
    const net = (s: SaleFact) => s.amountMinor - s.refunds.filter((r) => r.at <= at).reduce((sum, r) => sum + r.amountMinor, 0);
    const counted = naive.filter((s) => net(s) > 0);
    const started = performance.now();
    let standing = tierAt(book, at, DEFAULT_PLAN, 45);
    for (let round = 0; round < 200; round += 1) standing = tierAt(book, at, DEFAULT_PLAN, 45);
    const perCallMs = (performance.now() - started) / 201;
    expect(counted.length).toBeGreaterThan(5_000);
    expect(standing.trailingRevenueMinor).toBe(counted.reduce((sum, s) => sum + net(s), 0));
    expect(standing.distinctCustomers).toBe(new Set(counted.map((s) => s.customerId)).size);
    expect(perCallMs).toBeLessThan(5);
  });
});

describe('rows and books agree', () => {
  it('tierAt/tierForPayment give the same standing from unsorted rows and from a SalesBook (property)', () => {
    const saleArb = fc.record({
      customer: fc.nat(5),
      amountMinor: fc.integer({ min: 1, max: 200_000 }),
      paidDay: fc.integer({ min: 0, max: 500 }),
      refund: fc.option(fc.record({ amountMinor: fc.integer({ min: 1, max: 200_000 }), afterDays: fc.integer({ min: 0, max: 100 }) })),
    });
    fc.assert(
      fc.property(fc.array(saleArb, { maxLength: 30 }), fc.integer({ min: 0, max: 600 }), fc.constantFrom(0, 45), (raw, atDay, hold) => {
        const sales = raw.map((r, i) => sale(`p${i}`, `c${r.customer}`, r.amountMinor, jan1 + days(r.paidDay), r.refund ? [{ amountMinor: r.refund.amountMinor, at: jan1 + days(r.paidDay + r.refund.afterDays) }] : []));
        const at = jan1 + days(atDay);
        const book = SalesBook.from(sales);
        expect(tierAt(sales, at, DEFAULT_PLAN, hold)).toEqual(tierAt(book, at, DEFAULT_PLAN, hold));
        expect(tierForPayment(sales, at, DEFAULT_PLAN, hold)).toEqual(tierForPayment(book, at, DEFAULT_PLAN, hold));
      }),
      { numRuns: 300 },
    );
  });
});
