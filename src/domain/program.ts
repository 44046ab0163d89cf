// Program settings (R1.4, R2.1, R4.2, R4.3, R6.1) and the relations between them (style §9).
import { DomainError } from './errors.js';
import { MAX_RATE_BPS, MIN_NONZERO_RATE_BPS, type RateBps } from './money.js';
import { validatePlan, type Plan, type PlanProblem } from './plan.js';

/** The settings the engine computes with; `npm start` seeds Kartra's (R2.1 30, R4.2 45, R4.3 30, R6.1 10%). */
export interface ProgramSettings {
  /** R2.1: how long a click's cookie credits a conversion. */
  cookieDays: number;
  /** R4.2: how long a commission stays in reserve after its payment. */
  holdDays: number;
  /** R4.3: the refund window; the hold must cover it. */
  refundDays: number;
  /** R6.1: the recruiter's share of each recruit's sale; 0 turns JV off. */
  jvRateBps: RateBps;
  /** ISO 4217 code; all amounts of the program are in its minor unit. */
  currency: string;
  plan: Plan;
}

export const DEFAULT_PROGRAM_SETTINGS = {
  cookieDays: 30,
  holdDays: 45,
  refundDays: 30,
  jvRateBps: 1_000,
} as const;

const MAX_DAYS = 3_650;

/**
 * Lists every problem with a program's settings, plan included (empty when fine).
 * @example programSettingsProblems({ ...DEFAULT_PROGRAM_SETTINGS, currency: 'usd', plan: DEFAULT_PLAN }) // []
 */
export function programSettingsProblems(settings: ProgramSettings): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const isDays = (value: number) => Number.isInteger(value) && value >= 0 && value <= MAX_DAYS;
  if (typeof settings.currency !== 'string' || !/^[A-Za-z]{3}$/.test(settings.currency)) add('currency', 'an ISO 4217 code of three letters');
  if (!isDays(settings.cookieDays) || settings.cookieDays === 0) add('cookie_days', `an integer number of days, 1–${MAX_DAYS} (R2.1)`);
  if (!isDays(settings.refundDays)) add('refund_days', `an integer number of days, 0–${MAX_DAYS} (R4.3)`);
  if (!isDays(settings.holdDays)) add('hold_days', `an integer number of days, 0–${MAX_DAYS} (R4.2)`);
  else if (isDays(settings.refundDays) && settings.holdDays < settings.refundDays) {
    // Style §9: a commission must not become payable while its sale can still be refunded.
    add('hold_days', `the hold (${settings.holdDays} days) must be at least the refund window (${settings.refundDays} days)`);
  }
  const jv = settings.jvRateBps;
  if (!Number.isInteger(jv) || (jv !== 0 && (jv < MIN_NONZERO_RATE_BPS || jv > MAX_RATE_BPS))) {
    add('jv_rate_bps', 'the JV rate is 0 (off) or 1000–10000 bps (R1.4, R6.1)');
  }
  problems.push(...validatePlan(settings.plan));
  return problems;
}

/**
 * Throws when the settings are refused: `plan_inconsistent` when only the plan is at fault,
 * else `program_settings_invalid`; `details.problems` lists every reason.
 * @example validateProgramSettings({ ...DEFAULT_PROGRAM_SETTINGS, holdDays: 10, currency: 'usd', plan: DEFAULT_PLAN }) // throws
 */
export function validateProgramSettings(settings: ProgramSettings): ProgramSettings {
  const problems = programSettingsProblems(settings);
  if (problems.length === 0) return settings;
  const onlyPlan = problems.every((problem) => problem.field.startsWith('plan'));
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  throw new DomainError(onlyPlan ? 'plan_inconsistent' : 'program_settings_invalid', `The program settings are refused: ${summary}.`, { problems });
}
