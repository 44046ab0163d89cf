// R5 plans: the tier table a program pays by. Kartra's table is the default plan; a program may
// carry any other plan that passes `validatePlan` (rules.md: "the engine is general").
import { DomainError } from './errors.js';
import { isValidRateBps, type MinorUnits, type RateBps } from './money.js';

export type Interval = 'month' | 'year';
export const INTERVALS: readonly Interval[] = ['month', 'year'];

/** R5.5/R5.7: the rate of a subscription's first full-price payment and of later ones; 0 earns nothing. */
export interface IntervalRates {
  firstBps: RateBps;
  recurringBps: RateBps;
}

/**
 * One tier. An affiliate is on it when they have at least `minCustomers` distinct customers and,
 * when `revenueAbove` is set, trailing revenue strictly above it (R5.1). `revenueAbove: null`
 * means "no revenue condition".
 */
export interface Tier {
  key: string;
  name: string;
  minCustomers: number;
  revenueAbove: MinorUnits | null;
  rates: Record<Interval, IntervalRates>;
}

/** Tiers lowest first; the first must be reachable at start (no customers, no revenue). */
export interface Plan {
  tiers: Tier[];
}

export interface PlanProblem {
  field: string;
  message: string;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * R5: the default plan, exactly the page's table. The referral tier pays 100% of a monthly
 * subscription's first full payment or 20% of an annual one, once (recurring 0, R5.7); tiers 1–3
 * pay 20/30/40% of every payment on both intervals (R5.5 reading). "$1,000" is 100000 minor units.
 */
export const DEFAULT_PLAN: Plan = deepFreeze({
  tiers: [
    {
      key: 'referral',
      name: 'Referral',
      minCustomers: 0,
      revenueAbove: null,
      rates: { month: { firstBps: 10_000, recurringBps: 0 }, year: { firstBps: 2_000, recurringBps: 0 } },
    },
    {
      key: 'tier_1',
      name: 'Tier 1',
      minCustomers: 2,
      revenueAbove: null,
      rates: { month: { firstBps: 2_000, recurringBps: 2_000 }, year: { firstBps: 2_000, recurringBps: 2_000 } },
    },
    {
      key: 'tier_2',
      name: 'Tier 2',
      minCustomers: 2,
      revenueAbove: 100_000,
      rates: { month: { firstBps: 3_000, recurringBps: 3_000 }, year: { firstBps: 3_000, recurringBps: 3_000 } },
    },
    {
      key: 'tier_3',
      name: 'Tier 3',
      minCustomers: 2,
      revenueAbove: 1_000_000,
      rates: { month: { firstBps: 4_000, recurringBps: 4_000 }, year: { firstBps: 4_000, recurringBps: 4_000 } },
    },
  ],
});

const KEY_PATTERN = /^[a-z0-9_-]{1,40}$/;

/**
 * Lists every reason a plan is inconsistent (empty when it is fine). Field names follow the
 * API's snake_case shape (`plan.tiers[1].rates.month.first_bps`).
 * @example validatePlan(DEFAULT_PLAN) // []
 * @example validatePlan({ tiers: [] }) // [{ field: 'plan.tiers', message: 'a plan needs at least one tier' }]
 */
export function validatePlan(plan: Plan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (!Array.isArray(plan?.tiers) || plan.tiers.length === 0) {
    add('plan.tiers', 'a plan needs at least one tier');
    return problems;
  }
  const seen = new Set<string>();
  plan.tiers.forEach((tier, index) => {
    const at = `plan.tiers[${index}]`;
    if (typeof tier.key !== 'string' || !KEY_PATTERN.test(tier.key)) add(`${at}.key`, 'a tier key is 1–40 characters of a-z, 0-9, "_" or "-"');
    else if (seen.has(tier.key)) add(`${at}.key`, `duplicate tier key "${tier.key}"`);
    else seen.add(tier.key);
    if (typeof tier.name !== 'string' || tier.name.trim() === '') add(`${at}.name`, 'a tier needs a name');
    if (!Number.isSafeInteger(tier.minCustomers) || tier.minCustomers < 0) add(`${at}.min_customers`, 'min_customers is an integer ≥ 0');
    if (tier.revenueAbove !== null && (!Number.isSafeInteger(tier.revenueAbove) || tier.revenueAbove < 0)) {
      add(`${at}.revenue_above`, 'revenue_above is null or an integer ≥ 0 in minor units');
    }
    for (const interval of INTERVALS) {
      const rates = tier.rates?.[interval];
      if (!rates) {
        add(`${at}.rates.${interval}`, `missing ${interval} rates`);
        continue;
      }
      // R1.4: any rate other than 0 lies between 10% and 100%.
      if (!isValidRateBps(rates.firstBps)) add(`${at}.rates.${interval}.first_bps`, 'a rate is 0 or 1000–10000 bps (R1.4)');
      if (!isValidRateBps(rates.recurringBps)) add(`${at}.rates.${interval}.recurring_bps`, 'a rate is 0 or 1000–10000 bps (R1.4)');
    }
  });
  const first = plan.tiers[0];
  if (first && (first.minCustomers !== 0 || first.revenueAbove !== null)) {
    add('plan.tiers[0]', 'the first tier must be reachable at start: min_customers 0 and no revenue_above');
  }
  // Thresholds must rise so that "the highest tier whose thresholds they meet" is a chain: each
  // tier requires at least what the one below requires, and strictly more of something.
  for (let index = 1; index < plan.tiers.length; index += 1) {
    const lower = plan.tiers[index - 1];
    const upper = plan.tiers[index];
    if (!lower || !upper) continue;
    const lowerRevenue = lower.revenueAbove ?? -1;
    const upperRevenue = upper.revenueAbove ?? -1;
    if (upper.minCustomers < lower.minCustomers || upperRevenue < lowerRevenue) {
      add(`plan.tiers[${index}]`, 'thresholds must not decrease from one tier to the next');
    } else if (upper.minCustomers === lower.minCustomers && upperRevenue === lowerRevenue) {
      add(`plan.tiers[${index}]`, `same thresholds as tier "${lower.key}": one of them could never be reached`);
    }
  }
  return problems;
}

/** Throws `plan_inconsistent` with every reason, or returns the plan. @example assertValidPlan(DEFAULT_PLAN) */
export function assertValidPlan(plan: Plan): Plan {
  const problems = validatePlan(plan);
  if (problems.length > 0) {
    throw new DomainError('plan_inconsistent', `The plan is inconsistent: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}.`, { problems });
  }
  return plan;
}

/** Finds a tier by key. @example tierByKey(DEFAULT_PLAN, 'tier_2')?.revenueAbove === 100000 */
export function tierByKey(plan: Plan, key: string): Tier | undefined {
  return plan.tiers.find((tier) => tier.key === key);
}

/** The API's snake_case shape of a plan (api.md "Programs"). */
export interface ApiPlan {
  tiers: {
    key: string;
    name: string;
    min_customers: number;
    revenue_above: number | null;
    rates: Record<Interval, { first_bps: number; recurring_bps: number }>;
  }[];
}

/** Converts a plan to the API's shape. @example planToApi(DEFAULT_PLAN).tiers[0].rates.month.first_bps === 10000 */
export function planToApi(plan: Plan): ApiPlan {
  return {
    tiers: plan.tiers.map((tier) => ({
      key: tier.key,
      name: tier.name,
      min_customers: tier.minCustomers,
      revenue_above: tier.revenueAbove,
      rates: {
        month: { first_bps: tier.rates.month.firstBps, recurring_bps: tier.rates.month.recurringBps },
        year: { first_bps: tier.rates.year.firstBps, recurring_bps: tier.rates.year.recurringBps },
      },
    })),
  };
}

/** Converts the API's (already shape-checked) plan to the domain's; validate it afterwards. */
export function planFromApi(plan: ApiPlan): Plan {
  return {
    tiers: plan.tiers.map((tier) => ({
      key: tier.key,
      name: tier.name,
      minCustomers: tier.min_customers,
      revenueAbove: tier.revenue_above ?? null,
      rates: {
        month: { firstBps: tier.rates.month.first_bps, recurringBps: tier.rates.month.recurring_bps },
        year: { firstBps: tier.rates.year.first_bps, recurringBps: tier.rates.year.recurring_bps },
      },
    })),
  };
}
