// Stripe webhook signatures, checked by the official `stripe` package (v23) so that we never
// re-implement the HMAC scheme. Time is injected (style §3): `constructEvent` takes a
// `receivedAt` argument (epoch *milliseconds*, see node_modules/stripe/esm/Webhooks.js
// `validateComputedSignature`), so the tolerance check never reads the system clock here.
//
// Which "now" to pass: the caller's real (system) clock, never a program's test clock. Stripe
// signs with its own real time, so a program frozen in 2027 must still verify today's deliveries.
import Stripe from 'stripe';

/** Why a delivery was refused. Each one answers 400 at the HTTP edge; nothing is recorded. */
export type StripeSignatureFailure =
  | 'secret_missing' // our configuration: no `whsec_...` secret
  | 'header_missing' // no `Stripe-Signature` header
  | 'header_malformed' // no `t=` timestamp or no `v1=` signature in the header
  | 'signature_mismatch' // no v1 signature matches the body: wrong secret or a modified body
  | 'timestamp_outside_tolerance' // a valid signature older than the tolerance (a replay)
  | 'payload_malformed'; // the signed body is not a JSON event object

/** A refused webhook delivery (style §6: a typed error with a code that names the check). */
export class StripeSignatureError extends Error {
  readonly code = 'stripe_signature_invalid' as const;

  constructor(
    readonly failure: StripeSignatureFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StripeSignatureError';
  }
}

/** Stripe's own default (`Stripe.webhooks.DEFAULT_TOLERANCE`): five minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Verifies a webhook delivery and returns the parsed Stripe event.
 * `rawBody` must be the exact bytes Stripe sent (not re-serialised JSON).
 * `nowSeconds` is the receiving instant in epoch seconds; the signature's `t=` may be at most
 * `toleranceSeconds` older than it (0 disables the age check, as in Stripe's library).
 * @example
 *   const event = verifyStripeEvent(request.rawBody, request.headers['stripe-signature'], secret, 300, clock.now().getTime() / 1000);
 */
export function verifyStripeEvent(
  rawBody: Buffer | string,
  signatureHeader: string,
  secret: string,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  nowSeconds?: number,
): Stripe.Event {
  if (typeof secret !== 'string' || secret.trim() === '') {
    throw new StripeSignatureError('secret_missing', 'No Stripe webhook signing secret is configured (whsec_...).');
  }
  if (typeof signatureHeader !== 'string' || signatureHeader.trim() === '') {
    throw new StripeSignatureError('header_missing', 'The Stripe-Signature header is missing.');
  }
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new RangeError(`toleranceSeconds must be a non-negative number, got ${toleranceSeconds}`);
  }
  // Without an injected instant the package would fall back to its own clock; keep that choice
  // visible to the caller instead of hiding a system-clock read in here.
  const receivedAtMs = nowSeconds === undefined ? undefined : Math.floor(nowSeconds * 1000);
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, secret, toleranceSeconds, undefined, receivedAtMs);
  } catch (error) {
    throw toSignatureError(error);
  }
  const parsed: unknown = event;
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    typeof (parsed as { id?: unknown }).id !== 'string' ||
    typeof (parsed as { type?: unknown }).type !== 'string'
  ) {
    throw new StripeSignatureError('payload_malformed', 'The signed body is not a Stripe event object.');
  }
  return event;
}

function toSignatureError(error: unknown): StripeSignatureError {
  if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
    const message = error.message;
    // The package reports each case with a fixed sentence; we classify by it (Webhooks.js).
    if (/tolerance/i.test(message)) return new StripeSignatureError('timestamp_outside_tolerance', 'The Stripe-Signature timestamp is outside the tolerance.', { cause: error });
    if (/extract timestamp|expected scheme/i.test(message)) return new StripeSignatureError('header_malformed', 'The Stripe-Signature header has no timestamp or no v1 signature.', { cause: error });
    if (/webhook secret/i.test(message)) return new StripeSignatureError('secret_missing', 'No Stripe webhook signing secret is configured (whsec_...).', { cause: error });
    if (/stripe-signature header/i.test(message)) return new StripeSignatureError('header_missing', 'The Stripe-Signature header is missing.', { cause: error });
    if (/payload was provided/i.test(message)) return new StripeSignatureError('payload_malformed', 'The webhook body is empty.', { cause: error });
    return new StripeSignatureError('signature_mismatch', 'No Stripe-Signature v1 signature matches the body.', { cause: error });
  }
  // A valid signature over a body that is not JSON: `parsePayload` throws a SyntaxError.
  if (error instanceof SyntaxError) return new StripeSignatureError('payload_malformed', 'The signed body is not JSON.', { cause: error });
  return new StripeSignatureError('signature_mismatch', 'The Stripe webhook could not be verified.', { cause: error });
}
