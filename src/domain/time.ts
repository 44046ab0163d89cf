// Time (style §3): the domain never reads a clock. Instants are UTC epoch milliseconds passed in;
// a "day" is 24 h counted from the instant (rules.md preamble); calendar months are UTC months.
import { DomainError } from './errors.js';

/** A UTC instant in epoch milliseconds. The app layer converts to and from `Date`. */
export type Instant = number;
/** A payout month, `YYYY-MM` (R8.1). */
export type Month = string;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Throws `instant_invalid` unless `at` is an integer epoch-millisecond instant. */
export function assertInstant(at: number, what = 'instant'): void {
  if (!Number.isSafeInteger(at)) throw new DomainError('instant_invalid', `${what} must be epoch milliseconds, got ${at}.`, { at });
}

/** `days` × 24 h after `at`. @example addDays(Date.UTC(2027, 0, 3), 45) === Date.UTC(2027, 1, 17) */
export function addDays(at: Instant, days: number): Instant {
  return at + days * DAY_MS;
}

function daysInUtcMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/**
 * Moves `at` by whole calendar months in UTC, keeping the time of day and clamping the day to the
 * target month's length (Mar 31 − 1 month = Feb 28/29).
 * @example addUtcMonths(Date.UTC(2027, 2, 31), -1) === Date.UTC(2027, 1, 28)
 */
export function addUtcMonths(at: Instant, months: number): Instant {
  const date = new Date(at);
  const totalMonths = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(totalMonths / 12);
  const monthIndex = totalMonths - year * 12;
  const day = Math.min(date.getUTCDate(), daysInUtcMonth(year, monthIndex));
  const timeOfDay = at - Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return Date.UTC(year, monthIndex, day) + timeOfDay;
}

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The first instant of a payout month. @example monthStart('2027-03') === Date.UTC(2027, 2, 1) */
export function monthStart(month: Month): Instant {
  const match = MONTH_PATTERN.exec(month);
  if (!match) throw new DomainError('month_invalid', `A month is written YYYY-MM, got "${month}".`, { month }, 'month');
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
}

/** The month holding `at`, as `YYYY-MM`. @example monthOf(Date.UTC(2027, 2, 15)) === '2027-03' */
export function monthOf(at: Instant): Month {
  return new Date(at).toISOString().slice(0, 7);
}

/** The month after `month`. @example nextMonth('2027-12') === '2028-01' */
export function nextMonth(month: Month): Month {
  return monthOf(addUtcMonths(monthStart(month), 1));
}

/** RFC 3339 rendering for explanations. @example isoOf(0) === '1970-01-01T00:00:00.000Z' */
export function isoOf(at: Instant): string {
  return new Date(at).toISOString();
}
