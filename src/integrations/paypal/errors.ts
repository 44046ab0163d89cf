// Typed PayPal errors (style §6). Messages carry PayPal's own error name, HTTP status and
// debug id, never a credential, an access token or a request body.

export interface PayPalErrorDetail {
  field?: string;
  location?: string;
  issue?: string;
  description?: string;
  link?: { href?: string; rel?: string; method?: string }[];
}

export type PayPalErrorCode =
  | 'paypal_auth_failed'
  | 'paypal_api_error'
  | 'paypal_duplicate_batch'
  | 'paypal_transport_error'
  | 'paypal_protocol_error'
  | 'paypal_invalid_request';

export class PayPalError extends Error {
  constructor(
    readonly code: PayPalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PayPalError';
  }
}

/** The OAuth token endpoint refused our client id/secret, or answered something unusable. */
export class PayPalAuthError extends PayPalError {
  constructor(
    readonly status: number,
    readonly oauthError: string | undefined,
    message: string,
  ) {
    super('paypal_auth_failed', message);
    this.name = 'PayPalAuthError';
  }
}

/** PayPal answered with a non-2xx status and (usually) its error JSON `{name, message, debug_id, details}`. */
export class PayPalApiError extends PayPalError {
  constructor(
    readonly status: number,
    readonly paypalName: string | undefined,
    readonly paypalMessage: string | undefined,
    readonly debugId: string | undefined,
    readonly details: readonly PayPalErrorDetail[],
    code: PayPalErrorCode = 'paypal_api_error',
  ) {
    super(
      code,
      `PayPal answered ${status}${paypalName ? ` ${paypalName}` : ''}${paypalMessage ? `: ${paypalMessage}` : ''}` +
        `${details.length ? ` (${details.map((d) => [d.field, d.issue].filter(Boolean).join(': ')).join('; ')})` : ''}` +
        `${debugId ? ` [debug_id ${debugId}]` : ''}`,
    );
    this.name = 'PayPalApiError';
  }

  /** A 5xx: PayPal says a retry with the same sender_batch_id is safe. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/**
 * PayPal refused a create because this sender_batch_id was already used in the last 30 days.
 * PayPal's answer (400 USER_BUSINESS_ERROR, detail field SENDER_BATCH_ID, issue "Batch with given
 * sender_batch_id already exists") links to the original batch; `existingPayoutBatchId` is that
 * batch's id when the link was present, else null (then only a stored id can recover it).
 */
export class PayPalDuplicateBatchError extends PayPalApiError {
  constructor(
    readonly senderBatchId: string,
    readonly existingPayoutBatchId: string | null,
    status: number,
    paypalName: string | undefined,
    paypalMessage: string | undefined,
    debugId: string | undefined,
    details: readonly PayPalErrorDetail[],
  ) {
    super(status, paypalName, paypalMessage, debugId, details, 'paypal_duplicate_batch');
    this.name = 'PayPalDuplicateBatchError';
  }
}

/**
 * No answer: the connection failed, was reset, or we timed out. For a POST, `outcomeUnknown`
 * is true unless the connection was never made: PayPal may have accepted the batch, so the
 * caller must retry with the same sender_batch_id (never a new one).
 */
export class PayPalTransportError extends PayPalError {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly timedOut: boolean,
    readonly outcomeUnknown: boolean,
    cause: unknown,
  ) {
    const reason = timedOut ? 'timed out' : `failed (${describeCause(cause)})`;
    super('paypal_transport_error', `PayPal ${method} ${path} ${reason}`, { cause });
    this.name = 'PayPalTransportError';
  }
}

/** PayPal answered 2xx with a body we do not understand. */
export class PayPalProtocolError extends PayPalError {
  constructor(message: string) {
    super('paypal_protocol_error', message);
    this.name = 'PayPalProtocolError';
  }
}

/** Our own input is unusable (no items, a non-positive amount ...); nothing was sent. */
export class PayPalInvalidRequestError extends PayPalError {
  constructor(message: string) {
    super('paypal_invalid_request', message);
    this.name = 'PayPalInvalidRequestError';
  }
}

function describeCause(cause: unknown): string {
  // undici wraps the socket error: TypeError('fetch failed', {cause: Error{code}}).
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  if (inner instanceof Error) {
    const code = (inner as NodeJS.ErrnoException).code;
    return code ? `${code}: ${inner.message}` : inner.message;
  }
  return 'unknown error';
}
