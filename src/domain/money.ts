// Money (style §2): integer minor units beside a currency; rates in integer basis points.
// Every percentage in the engine goes through `applyRateBps`, the one rounding rule.
import { DomainError } from './errors.js';

/** An amount in the currency's minor unit (cents for usd). Always a safe integer. */
export type MinorUnits = number;
/** A rate in basis points: 10000 = 100%. */
export type RateBps = number;

export const BPS_PER_WHOLE = 10_000;
/** R1.4: a non-zero rate lies between 10% and 100%. */
export const MIN_NONZERO_RATE_BPS = 1_000;
export const MAX_RATE_BPS = 10_000;

/** Throws `amount_invalid` unless `value` is a safe integer ≥ 0. @example assertAmount(4900) */
export function assertAmount(value: number, what = 'amount'): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DomainError('amount_invalid', `${what} must be a non-negative integer number of minor units, got ${value}.`, { value });
  }
}

/** R1.4: a rate is 0 (earns nothing) or lies in 1000–10000 bps. @example isValidRateBps(2000) === true */
export function isValidRateBps(rateBps: number): boolean {
  return Number.isInteger(rateBps) && (rateBps === 0 || (rateBps >= MIN_NONZERO_RATE_BPS && rateBps <= MAX_RATE_BPS));
}

/**
 * The one rounding rule: `amountMinor × rateBps / 10000`, rounded half-up to the minor unit,
 * computed in exact integer arithmetic (BigInt when the product leaves the safe range).
 * @example applyRateBps(9900, 2000) === 1980; applyRateBps(1, 5000) === 1; applyRateBps(1, 4999) === 0
 */
export function applyRateBps(amountMinor: MinorUnits, rateBps: RateBps): MinorUnits {
  assertAmount(amountMinor);
  if (!Number.isInteger(rateBps) || rateBps < 0 || rateBps > MAX_RATE_BPS) {
    throw new DomainError('rate_out_of_range', `A rate must be an integer in 0–${MAX_RATE_BPS} bps, got ${rateBps}.`, { rateBps });
  }
  const shifted = amountMinor * rateBps + BPS_PER_WHOLE / 2;
  if (Number.isSafeInteger(shifted)) {
    // `%` and the division of an exact multiple are exact on safe integers: no float rounding.
    return (shifted - (shifted % BPS_PER_WHOLE)) / BPS_PER_WHOLE;
  }
  return Number((BigInt(amountMinor) * BigInt(rateBps) + 5_000n) / 10_000n);
}

/** Sums amounts, refusing to leave the safe-integer range. @example sumMinor([1, 2]) === 3 */
export function sumMinor(amounts: Iterable<MinorUnits>): MinorUnits {
  let total = 0;
  for (const amount of amounts) total += amount;
  if (!Number.isSafeInteger(total)) throw new DomainError('amount_invalid', 'A sum of amounts left the safe-integer range.', { total });
  return total;
}

/**
 * Renders minor units as a plain decimal string (PayPal's mass-payment file wants `99.00`).
 * @example formatMinor(9900) === '99.00'; formatMinor(-5) === '-0.05'; formatMinor(1234, 0) === '1234'
 */
export function formatMinor(amountMinor: MinorUnits, exponent = 2): string {
  if (!Number.isSafeInteger(amountMinor)) throw new DomainError('amount_invalid', `Not an integer amount: ${amountMinor}.`);
  const sign = amountMinor < 0 ? '-' : '';
  const digits = String(Math.abs(amountMinor));
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/** Renders basis points as a percentage. @example formatBps(2000) === '20%'; formatBps(1250) === '12.5%' */
export function formatBps(rateBps: RateBps): string {
  return `${(rateBps / 100).toString()}%`;
}
