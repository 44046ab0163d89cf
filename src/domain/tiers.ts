// R5 tiers: which tier an affiliate is on at an instant, from their trailing 12 months of sales.
// `SalesBook` keeps one affiliate's sales sorted by payment time so an evaluation is a binary
// search plus one pass over the window, with no allocation per sale (10k sales in tens of µs).
// An evaluation is two steps: `measure` reduces the sales to their totals within `tierWindow`
// (trailing net revenue, distinct customers), and `standingFor` decides the tier from the totals.
// The tier card (src/app/statements.ts `tierOf`) and a payment event (`MeasuredSales`) have the
// database compute the totals with the same window; statements.test.ts proves them equal to
// `tierAt` and `tierForPayment` over the whole book.
import { InvariantError } from './errors.js';
import type { RefundFact, SaleFact } from './facts.js';
import type { MinorUnits, RateBps } from './money.js';
import type { Plan, Tier } from './plan.js';
import { addUtcMonths, assertInstant, DAY_MS, type Instant } from './time.js';

/** R5.1 window: the 12 calendar months before the moment of evaluation. */
export const TRAILING_MONTHS = 12;

/** R5.6: what the dashboard shows, and the tier a commission is priced at (R5.3). */
export interface TierStanding {
  tier: Tier;
  /** R5.6 / api.md: the recurring monthly rate, or the first monthly rate when recurring is 0 (referral: 10000). */
  rateBps: RateBps;
  trailingRevenueMinor: MinorUnits;
  distinctCustomers: number;
  /** What is missing for the tier above; null on the top tier. */
  next: { tierKey: string; revenueNeededMinor: MinorUnits; customersNeeded: number } | null;
}

/**
 * R5.1/R5.2/R5.3: the instants that decide what counts at `at`, on whole milliseconds. A sale
 * counts when `paidAfter < paidAt ≤ paidThrough` (paid within the 12 calendar months before `at`,
 * its hold passed) and its net, after the refunds with `at ≤ refundsThrough`, is positive; a
 * fully refunded sale counts for nothing, customer included. `strict` (R5.3) counts only what
 * counted strictly before `at`: the hold must have passed and the refund happened before it.
 * The one home of this arithmetic: `measure` and the database's sums for the tier card use it.
 * @example tierWindow(Date.UTC(2028, 6, 2), 45, false).paidAfter === Date.UTC(2027, 6, 2)
 */
export interface TierWindow {
  paidAfter: Instant;
  paidThrough: Instant;
  refundsThrough: Instant;
}

/** See `TierWindow`. @example tierWindow(Date.UTC(2028, 6, 2), 45, true).refundsThrough === Date.UTC(2028, 6, 2) - 1 */
export function tierWindow(at: Instant, holdDays: number, strict: boolean): TierWindow {
  // Instants are integer milliseconds (payments are checked by assertInstant, the store reads whole
  // milliseconds), so "strictly before" is "at most 1 ms before".
  assertInstant(at, 'at');
  const before = strict ? 1 : 0;
  return { paidAfter: addUtcMonths(at, -TRAILING_MONTHS), paidThrough: at - holdDays * DAY_MS - before, refundsThrough: at - before };
}

/** R5.1: what an evaluation reduces the sales to: the counted sales' net revenue and distinct customers. */
export interface TierTotals {
  revenueMinor: MinorUnits;
  customers: number;
}

/**
 * Sales the store has already measured (summed in the database) for one window: an evaluation at
 * that window's instant uses the totals as they are, so an event for a seller with tens of
 * thousands of sales moves one row, not the book. Evaluating them for any other window is a bug
 * (the wrong instant, hold or strictness), and `measure` refuses it.
 */
export interface MeasuredSales {
  window: TierWindow;
  totals: TierTotals;
}

/** What a tier evaluation reads: the sales as rows, as a book, or already measured for its window. */
export type TierSales = readonly SaleFact[] | SalesBook | MeasuredSales;

interface SaleRecord {
  paymentId: string;
  customerId: string;
  customerIndex: number;
  amountMinor: MinorUnits;
  paidAt: Instant;
  sequence: number;
  refunds: RefundFact[];
}

/**
 * One affiliate's sales, sorted by payment time, with refunds attached. Mutable on purpose: the
 * replay and the bench add sales as they arrive; the app builds one from the rows it loaded.
 * @example const book = SalesBook.from(sales); tierAt(book, now, plan, 45)
 */
export class SalesBook {
  private readonly records: SaleRecord[] = [];
  private readonly byPayment = new Map<string, SaleRecord>();
  private readonly customerIndexes = new Map<string, number>();
  private marks = new Uint32Array(16);
  private mark = 0;
  private sequence = 0;

  /** Builds a book from sales in any order. @example SalesBook.from([]).size === 0 */
  static from(sales: readonly SaleFact[]): SalesBook {
    const book = new SalesBook();
    // Rows loaded `ORDER BY paid_at` are already sorted: check in O(n) before paying for a sort.
    let inOrder = true;
    for (let index = 1; index < sales.length && inOrder; index += 1) inOrder = (sales[index - 1] as SaleFact).paidAt <= (sales[index] as SaleFact).paidAt;
    const sorted = inOrder ? sales : [...sales].sort((a, b) => a.paidAt - b.paidAt);
    for (const sale of sorted) book.add(sale);
    return book;
  }

  get size(): number {
    return this.records.length;
  }

  /** Adds a sale; appends in O(1) when sales arrive in time order. Duplicate payment ids are a bug. */
  add(sale: SaleFact): void {
    if (this.byPayment.has(sale.paymentId)) throw new InvariantError(`Sale ${sale.paymentId} is already in the book.`);
    let customerIndex = this.customerIndexes.get(sale.customerId);
    if (customerIndex === undefined) {
      customerIndex = this.customerIndexes.size;
      this.customerIndexes.set(sale.customerId, customerIndex);
      if (customerIndex >= this.marks.length) {
        const grown = new Uint32Array(this.marks.length * 2);
        grown.set(this.marks);
        this.marks = grown;
      }
    }
    const record: SaleRecord = {
      paymentId: sale.paymentId,
      customerId: sale.customerId,
      customerIndex,
      amountMinor: sale.amountMinor,
      paidAt: sale.paidAt,
      sequence: this.sequence++,
      refunds: sale.refunds.map((refund) => ({ ...refund })),
    };
    this.byPayment.set(sale.paymentId, record);
    const last = this.records[this.records.length - 1];
    if (!last || last.paidAt <= sale.paidAt) {
      this.records.push(record);
    } else {
      this.records.splice(this.upperBound(sale.paidAt), 0, record);
    }
  }

  /** Removes a sale (R3.2: it moves to another affiliate); returns it, or null when absent. */
  remove(paymentId: string): SaleFact | null {
    const record = this.byPayment.get(paymentId);
    if (!record) return null;
    this.byPayment.delete(paymentId);
    this.records.splice(this.records.indexOf(record), 1);
    return toSale(record);
  }

  /** Records a refund (or a chargeback) against a sale; false when the sale is not in the book. */
  refund(paymentId: string, amountMinor: MinorUnits, at: Instant): boolean {
    const record = this.byPayment.get(paymentId);
    if (!record) return false;
    record.refunds.push({ amountMinor, at });
    return true;
  }

  has(paymentId: string): boolean {
    return this.byPayment.has(paymentId);
  }

  /** A copy of the sales, in payment-time order. */
  sales(): SaleFact[] {
    return this.records.map(toSale);
  }

  /** A deep copy that can be changed without touching this one. */
  clone(): SalesBook {
    return SalesBook.from(this.sales());
  }

  /**
   * R5.1/R5.2: trailing net revenue and distinct customers at `at`. A sale counts when its hold has
   * passed (`paidAt + hold ≤ at`) and it was paid within the 12 calendar months before `at`
   * (`paidAt > at − 12 months`); refunds known at `at` are netted, and a fully refunded sale counts
   * for nothing, customer included (`tierWindow`). `strict` (R5.3) counts only what counted
   * strictly before `at`.
   */
  measure(at: Instant, holdDays: number, strict: boolean): TierTotals {
    const window = tierWindow(at, holdDays, strict);
    const from = this.upperBound(window.paidAfter); // first sale with paidAt > paidAfter
    const to = this.upperBound(window.paidThrough); // first sale with paidAt > paidThrough
    this.mark += 1;
    if (this.mark === 0xffffffff) {
      this.marks.fill(0);
      this.mark = 1;
    }
    let revenueMinor = 0;
    let customers = 0;
    for (let index = from; index < to; index += 1) {
      const record = this.records[index] as SaleRecord;
      let net = record.amountMinor;
      for (const refund of record.refunds) {
        if (refund.at <= window.refundsThrough) net -= refund.amountMinor;
      }
      if (net <= 0) continue;
      revenueMinor += net;
      if (this.marks[record.customerIndex] !== this.mark) {
        this.marks[record.customerIndex] = this.mark;
        customers += 1;
      }
    }
    return { revenueMinor, customers };
  }

  /** Index of the first record with paidAt > at. */
  private upperBound(at: Instant): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.records[middle] as SaleRecord).paidAt <= at) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function toSale(record: SaleRecord): SaleFact {
  return { paymentId: record.paymentId, customerId: record.customerId, amountMinor: record.amountMinor, paidAt: record.paidAt, refunds: record.refunds.map((r) => ({ ...r })) };
}

function meets(tier: Tier, revenueMinor: MinorUnits, customers: number): boolean {
  return customers >= tier.minCustomers && (tier.revenueAbove === null || revenueMinor > tier.revenueAbove);
}

/**
 * The highest tier whose thresholds the figures meet, and what the next one needs (R5, R5.6).
 * @example standingFor(DEFAULT_PLAN, 150000, 2).tier.key === 'tier_2'
 */
export function standingFor(plan: Plan, revenueMinor: MinorUnits, customers: number): TierStanding {
  const tiers = plan.tiers;
  let index = 0;
  for (let candidate = tiers.length - 1; candidate > 0; candidate -= 1) {
    if (meets(tiers[candidate] as Tier, revenueMinor, customers)) {
      index = candidate;
      break;
    }
  }
  const tier = tiers[index];
  if (!tier) throw new InvariantError('A plan without tiers reached tier evaluation; validatePlan must refuse it.');
  const above = tiers[index + 1];
  const monthly = tier.rates.month;
  return {
    tier,
    rateBps: monthly.recurringBps > 0 ? monthly.recurringBps : monthly.firstBps,
    trailingRevenueMinor: revenueMinor,
    distinctCustomers: customers,
    next: above
      ? {
          tierKey: above.key,
          // api.md: revenue_above is exclusive, so one more minor unit is needed; never negative.
          revenueNeededMinor: above.revenueAbove === null ? 0 : Math.max(0, above.revenueAbove + 1 - revenueMinor),
          customersNeeded: Math.max(0, above.minCustomers - customers),
        }
      : null,
  };
}

/**
 * The same count as `SalesBook.measure` in one linear pass over unsorted rows: for a single
 * evaluation this beats building a book (no sort, no index), which pays off only when reused.
 */
function measureRows(sales: readonly SaleFact[], at: Instant, holdDays: number, strict: boolean): TierTotals {
  const window = tierWindow(at, holdDays, strict);
  const customers = new Set<string>();
  let revenueMinor = 0;
  for (const sale of sales) {
    if (sale.paidAt <= window.paidAfter || sale.paidAt > window.paidThrough) continue;
    let net = sale.amountMinor;
    for (const refund of sale.refunds) {
      if (refund.at <= window.refundsThrough) net -= refund.amountMinor;
    }
    if (net <= 0) continue;
    revenueMinor += net;
    customers.add(sale.customerId);
  }
  return { revenueMinor, customers: customers.size };
}

function measure(sales: TierSales, at: Instant, holdDays: number, strict: boolean): TierTotals {
  if (sales instanceof SalesBook) return sales.measure(at, holdDays, strict);
  if (isSaleRows(sales)) return measureRows(sales, at, holdDays, strict);
  const wanted = tierWindow(at, holdDays, strict);
  const given = sales.window;
  if (given.paidAfter !== wanted.paidAfter || given.paidThrough !== wanted.paidThrough || given.refundsThrough !== wanted.refundsThrough) {
    throw new InvariantError(`Sales measured for the window ${JSON.stringify(given)} were evaluated for ${JSON.stringify(wanted)}.`);
  }
  return sales.totals;
}

function isSaleRows(sales: readonly SaleFact[] | MeasuredSales): sales is readonly SaleFact[] {
  return Array.isArray(sales);
}

/**
 * R5.1/R5.2/R5.4/R5.6: the affiliate's standing at instant `at` (the dashboard's figure): `measure`
 * then `standingFor`. Tiers move both ways as the window rolls.
 * @example tierAt(sales, Date.UTC(2027, 5, 1), DEFAULT_PLAN, 45) // { tier: {key: 'tier_1', ...}, rateBps: 2000, ... }
 */
export function tierAt(sales: TierSales, at: Instant, plan: Plan, holdDays: number): TierStanding {
  const { revenueMinor, customers } = measure(sales, at, holdDays, false);
  return standingFor(plan, revenueMinor, customers);
}

/**
 * R5.3: the tier a payment at `paidAt` is priced at: from sales that counted strictly before it,
 * so the sale that crosses a threshold is still paid at the old rate.
 * @example tierForPayment(book, payment.paidAt, DEFAULT_PLAN, 45).tier.key
 */
export function tierForPayment(sales: TierSales, paidAt: Instant, plan: Plan, holdDays: number): TierStanding {
  const { revenueMinor, customers } = measure(sales, paidAt, holdDays, true);
  return standingFor(plan, revenueMinor, customers);
}
