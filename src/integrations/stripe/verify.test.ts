// Proves that only bodies signed with our secret, recently (by the injected clock), are accepted.
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';

import { event, legacyInvoice } from './fixtures.js';
import { mapStripeEvent } from './map.js';
import { StripeSignatureError, verifyStripeEvent } from './verify.js';

const SECRET = 'whsec_test_affable_secret';
const SIGNED_AT = 1_798_970_405; // 2027-01-03T10:00:05Z
const payload = JSON.stringify(event('invoice.paid', legacyInvoice(), { id: 'evt_signed', api_version: '2024-06-20' }));

function sign(body: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp ?? SIGNED_AT,
  });
}

function refusal(run: () => unknown): StripeSignatureError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StripeSignatureError);
    return error as StripeSignatureError;
  }
  throw new Error('expected a StripeSignatureError');
}

describe('verifyStripeEvent', () => {
  it('accepts a body signed with the secret within the tolerance, as a string or a Buffer', () => {
    const header = sign(payload);
    expect(verifyStripeEvent(payload, header, SECRET, 300, SIGNED_AT + 299).id).toBe('evt_signed');
    expect(verifyStripeEvent(Buffer.from(payload, 'utf8'), header, SECRET, 300, SIGNED_AT).type).toBe('invoice.paid');
  });

  it('hands back an event that maps (verify → map, end to end)', () => {
    const verified = verifyStripeEvent(payload, sign(payload), SECRET, 300, SIGNED_AT + 1);
    const [mapped] = mapStripeEvent(verified, { program: 'kartra' });
    expect(mapped).toMatchObject({ id: 'evt_signed', type: 'payment.succeeded', payment: { id: 'pi_legacy', amount: 9900 } });
  });

  it('refuses a signature made with another secret', () => {
    const error = refusal(() => verifyStripeEvent(payload, sign(payload, { secret: 'whsec_someone_else' }), SECRET, 300, SIGNED_AT));
    expect(error.failure).toBe('signature_mismatch');
    expect(error.code).toBe('stripe_signature_invalid');
  });

  it('refuses a body changed after signing (one cent more)', () => {
    const header = sign(payload);
    const tampered = payload.replace('"amount_paid":9900', '"amount_paid":9901');
    expect(tampered).not.toBe(payload);
    expect(refusal(() => verifyStripeEvent(tampered, header, SECRET, 300, SIGNED_AT)).failure).toBe('signature_mismatch');
  });

  it('refuses a replay older than the tolerance, measured by the injected clock', () => {
    const header = sign(payload);
    expect(refusal(() => verifyStripeEvent(payload, header, SECRET, 300, SIGNED_AT + 301)).failure).toBe('timestamp_outside_tolerance');
    // The same delivery is fine with a wider tolerance, and with the age check disabled (0).
    expect(verifyStripeEvent(payload, header, SECRET, 600, SIGNED_AT + 301).id).toBe('evt_signed');
    expect(verifyStripeEvent(payload, header, SECRET, 0, SIGNED_AT + 86_400).id).toBe('evt_signed');
  });

  it('refuses a missing or malformed header and a missing secret', () => {
    expect(refusal(() => verifyStripeEvent(payload, '', SECRET, 300, SIGNED_AT)).failure).toBe('header_missing');
    expect(refusal(() => verifyStripeEvent(payload, 'garbage', SECRET, 300, SIGNED_AT)).failure).toBe('header_malformed');
    expect(refusal(() => verifyStripeEvent(payload, `t=${SIGNED_AT}`, SECRET, 300, SIGNED_AT)).failure).toBe('header_malformed');
    expect(refusal(() => verifyStripeEvent(payload, sign(payload), '', 300, SIGNED_AT)).failure).toBe('secret_missing');
  });

  it('refuses a correctly signed body that is not a JSON event', () => {
    const notJson = 'hello';
    expect(refusal(() => verifyStripeEvent(notJson, sign(notJson), SECRET, 300, SIGNED_AT)).failure).toBe('payload_malformed');
    const notEvent = '[1,2]';
    expect(refusal(() => verifyStripeEvent(notEvent, sign(notEvent), SECRET, 300, SIGNED_AT)).failure).toBe('payload_malformed');
  });
});
