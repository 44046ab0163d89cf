// Typed domain errors (style §6). A `code` names the broken rule so one table at the HTTP edge
// can map it to a status; `details` carries the facts a caller needs to explain the refusal.
// A broken *invariant* is not a DomainError: it is an `InvariantError`, an assertion that must
// stop the request loudly (a 500), never be steered around.

/** Codes a domain function may refuse with. Each one names the rule it protects. */
export type DomainErrorCode =
  | 'amount_invalid' // money is a non-negative safe integer in minor units (style §2)
  | 'rate_out_of_range' // a rate is 0 or 1000–10000 bps (R1.4)
  | 'instant_invalid' // instants are finite epoch milliseconds
  | 'month_invalid' // payout months are 'YYYY-MM' (R8.1)
  | 'plan_inconsistent' // R5 plan refused with reasons
  | 'program_settings_invalid' // R1.4, R2.1, R4.2/R4.3, R6.1 settings refused with reasons
  | 'username_invalid' // R10.1
  | 'username_reserved' // R10.1
  | 'affiliate_not_approved' // R1.2, R3.2: the target affiliate is not approved in the program
  | 'reassignment_window_closed' // R3.2: more than 30 days after the subscription's first event
  | 'reassignment_same_affiliate' // R3.2: the subscription is already credited to that affiliate
  | 'payout_month_not_started'; // api.md: a month whose first day is still ahead

export interface DomainErrorDetails {
  /** Field-level problems, for validation failures (`field` uses the API's snake_case names). */
  problems?: { field: string; message: string }[];
  [key: string]: unknown;
}

/**
 * A refusal by a domain rule.
 * @example
 *   throw new DomainError('reassignment_window_closed', 'Window closed on 2027-02-02', { closedAt });
 */
export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly details: DomainErrorDetails;
  /** The input field at fault, when there is one (the HTTP layer turns it into `errors[]`). */
  readonly field: string | undefined;

  constructor(code: DomainErrorCode, message: string, details: DomainErrorDetails = {}, field?: string) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
    this.field = field ?? details.problems?.[0]?.field;
  }
}

/** True when `error` is a DomainError, optionally with the given code. @example isDomainError(e, 'username_reserved') */
export function isDomainError(error: unknown, code?: DomainErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}

/** A broken invariant (style §5/§6): a bug, never a user error. */
export class InvariantError extends Error {
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'InvariantError';
    this.details = details;
  }
}

/** Throws an InvariantError when `condition` is false. @example invariant(sum >= 0, 'negative sum') */
export function invariant(condition: boolean, message: string, details: Record<string, unknown> = {}): asserts condition {
  if (!condition) throw new InvariantError(message, details);
}
