// The console's tier-table preview: what an example affiliate would earn on one payment under a
// draft plan. It mirrors R5 for display only; the server's plan validation and the engine decide.
import type { Tier } from './types.js';

export interface Example {
  /** Distinct customers in the trailing 12 months, sales before this one. */
  customers: number;
  /** Trailing 12-month sales revenue in minor units. */
  revenue: number;
  interval: 'month' | 'year';
  /** Is this the subscription's first full payment (the referral tier pays only that one)? */
  firstPayment: boolean;
  amount: number;
}

/** api.md: "an affiliate is on the highest tier whose thresholds they meet". */
export function tierFor(tiers: readonly Tier[], customers: number, revenue: number): Tier | undefined {
  let found: Tier | undefined;
  for (const t of tiers) {
    const revenueOk = t.revenue_above === null || revenue > t.revenue_above;
    if (customers >= t.min_customers && revenueOk) found = t;
  }
  return found;
}

/** Integer basis-point share, rounded half up to the minor unit (display only). */
export function share(amount: number, bps: number): number {
  return Math.floor((amount * bps + 5000) / 10000);
}

export function preview(tiers: readonly Tier[], e: Example): { tier: Tier | undefined; rateBps: number; commission: number } {
  const tier = tierFor(tiers, e.customers, e.revenue);
  if (!tier) return { tier, rateBps: 0, commission: 0 };
  const rates = tier.rates[e.interval];
  const rateBps = e.firstPayment ? rates.first_bps : rates.recurring_bps;
  return { tier, rateBps, commission: share(e.amount, rateBps) };
}

export interface TierProblem {
  field: string;
  message: string;
}

/** R1.4 and the plan's shape, checked as the admin types (the server checks again on save). */
export function checkTiers(tiers: readonly Tier[]): TierProblem[] {
  const problems: TierProblem[] = [];
  const keys = new Set<string>();
  tiers.forEach((t, i) => {
    const at = `tiers.${i}`;
    if (!/^[a-z0-9_]{1,40}$/.test(t.key)) problems.push({ field: `${at}.key`, message: 'lower-case letters, digits and underscores' });
    if (keys.has(t.key)) problems.push({ field: `${at}.key`, message: 'each tier needs its own key' });
    keys.add(t.key);
    if (!t.name.trim()) problems.push({ field: `${at}.name`, message: 'give the tier a name' });
    if (!Number.isInteger(t.min_customers) || t.min_customers < 0) problems.push({ field: `${at}.min_customers`, message: 'a whole number, 0 or more' });
    for (const interval of ['month', 'year'] as const) {
      for (const kind of ['first_bps', 'recurring_bps'] as const) {
        const v = t.rates[interval][kind];
        if (!Number.isInteger(v) || (v !== 0 && (v < 1000 || v > 10000))) {
          problems.push({ field: `${at}.rates.${interval}.${kind}`, message: 'a rate is 0% or between 10% and 100% (R1.4)' });
        }
      }
    }
    const prev = tiers[i - 1];
    if (prev) {
      const prevRevenue = prev.revenue_above ?? -1;
      const revenue = t.revenue_above ?? -1;
      if (t.min_customers < prev.min_customers || revenue < prevRevenue || (t.min_customers === prev.min_customers && revenue === prevRevenue)) {
        problems.push({ field: `${at}`, message: 'each tier must ask for more than the one below it' });
      }
    }
  });
  if (tiers.length === 0) problems.push({ field: 'tiers', message: 'a plan needs at least one tier' });
  return problems;
}
