// Proves the R5 default plan is the page's table and that inconsistent plans/settings are refused
// with every reason (R1.4, style §9).
import { describe, expect, it } from 'vitest';
import { assertValidPlan, DEFAULT_PLAN, planFromApi, planToApi, validatePlan, type Plan, type Tier } from './plan.js';
import { DEFAULT_PROGRAM_SETTINGS, programSettingsProblems, validateProgramSettings } from './program.js';
import { isDomainError } from './errors.js';
import { flatPlan } from './test-helpers.js';

const clone = (plan: Plan): Plan => JSON.parse(JSON.stringify(plan)) as Plan;
const withTier = (index: number, change: (tier: Tier) => void): Plan => {
  const plan = clone(DEFAULT_PLAN);
  change(plan.tiers[index] as Tier);
  return plan;
};

describe('R5 default plan', () => {
  it('is exactly the page table', () => {
    expect(DEFAULT_PLAN.tiers.map((tier) => [tier.key, tier.minCustomers, tier.revenueAbove, tier.rates.month.firstBps, tier.rates.month.recurringBps, tier.rates.year.firstBps, tier.rates.year.recurringBps])).toEqual([
      ['referral', 0, null, 10000, 0, 2000, 0],
      ['tier_1', 2, null, 2000, 2000, 2000, 2000],
      ['tier_2', 2, 100000, 3000, 3000, 3000, 3000],
      ['tier_3', 2, 1000000, 4000, 4000, 4000, 4000],
    ]);
    expect(validatePlan(DEFAULT_PLAN)).toEqual([]);
    expect(Object.isFrozen(DEFAULT_PLAN.tiers[0]?.rates.month)).toBe(true);
  });

  it('round-trips through the API shape', () => {
    const api = planToApi(DEFAULT_PLAN);
    expect(api.tiers[2]).toEqual({ key: 'tier_2', name: 'Tier 2', min_customers: 2, revenue_above: 100000, rates: { month: { first_bps: 3000, recurring_bps: 3000 }, year: { first_bps: 3000, recurring_bps: 3000 } } });
    expect(planFromApi(api)).toEqual(DEFAULT_PLAN);
  });
});

describe('validatePlan refuses inconsistent plans with reasons', () => {
  it.each<[string, Plan, RegExp]>([
    ['no tiers', { tiers: [] }, /at least one tier/],
    ['duplicate keys', withTier(1, (tier) => (tier.key = 'referral')), /duplicate tier key/],
    ['bad key', withTier(1, (tier) => (tier.key = 'Tier One')), /tier key/],
    ['empty name', withTier(1, (tier) => (tier.name = ' ')), /needs a name/],
    ['first tier unreachable (customers)', withTier(0, (tier) => (tier.minCustomers = 1)), /reachable at start/],
    ['first tier unreachable (revenue)', withTier(0, (tier) => (tier.revenueAbove = 0)), /reachable at start/],
    ['customers decrease', withTier(2, (tier) => (tier.minCustomers = 1)), /must not decrease/],
    ['revenue decreases', withTier(3, (tier) => (tier.revenueAbove = 50000)), /must not decrease/],
    ['same thresholds twice', withTier(3, (tier) => (tier.revenueAbove = 100000)), /could never be reached/],
    ['R1.4 rate below 10%', withTier(1, (tier) => (tier.rates.month.firstBps = 999)), /first_bps/],
    ['R1.4 rate above 100%', withTier(1, (tier) => (tier.rates.year.recurringBps = 10001)), /recurring_bps/],
    ['negative customers', withTier(1, (tier) => (tier.minCustomers = -2)), /min_customers/],
    ['fractional revenue', withTier(2, (tier) => (tier.revenueAbove = 10.5)), /revenue_above/],
  ])('%s', (_name, plan, message) => {
    const problems = validatePlan(plan);
    expect(problems.map((p) => `${p.field}: ${p.message}`).join('\n')).toMatch(message);
    let caught: unknown;
    try {
      assertValidPlan(plan);
    } catch (error) {
      caught = error;
    }
    expect(isDomainError(caught, 'plan_inconsistent')).toBe(true);
  });

  it('accepts a one-tier plan and a plan with 0 rates', () => {
    expect(validatePlan(flatPlan(2500))).toEqual([]);
    expect(validatePlan(flatPlan(0))).toEqual([]);
  });
});

describe('program settings (R1.4, R2.1, R4.2–R4.3, R6.1)', () => {
  const base = { ...DEFAULT_PROGRAM_SETTINGS, currency: 'usd', plan: DEFAULT_PLAN };
  it('accepts Kartra’s settings', () => expect(validateProgramSettings(base)).toBe(base));
  it.each([
    ['hold shorter than the refund window', { holdDays: 29 }, 'hold_days', 'program_settings_invalid'],
    ['cookie of 0 days', { cookieDays: 0 }, 'cookie_days', 'program_settings_invalid'],
    ['JV rate of 5%', { jvRateBps: 500 }, 'jv_rate_bps', 'program_settings_invalid'],
    ['JV rate above 100%', { jvRateBps: 10001 }, 'jv_rate_bps', 'program_settings_invalid'],
    ['bad currency', { currency: 'dollars' }, 'currency', 'program_settings_invalid'],
    ['fractional days', { refundDays: 1.5 }, 'refund_days', 'program_settings_invalid'],
    ['bad plan only', { plan: { tiers: [] } }, 'plan.tiers', 'plan_inconsistent'],
  ])('refuses %s', (_name, change, field, code) => {
    const settings = { ...base, ...change };
    expect(programSettingsProblems(settings).map((p) => p.field)).toContain(field);
    let caught: unknown;
    try {
      validateProgramSettings(settings);
    } catch (error) {
      caught = error;
    }
    expect(isDomainError(caught, code as 'plan_inconsistent')).toBe(true);
    if (isDomainError(caught)) expect(caught.details.problems?.[0]?.field).toBe(field);
  });
  it('accepts JV off (0) and a hold equal to the refund window', () => {
    expect(programSettingsProblems({ ...base, jvRateBps: 0, holdDays: 30, refundDays: 30 })).toEqual([]);
  });
});
