// Proves the PayPal client against a local PayPal that speaks the real wire format: tokens are
// cached, batches end paid or failed, and a reused sender_batch_id never creates a second batch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { startFakePayPal, type FakePayPal, type FakePayPalOptions } from '../../../test/support/paypal-fake-server.js';
import {
  classifyItemStatus,
  existingBatchIdFromDuplicate,
  PayPalApiError,
  PayPalAuthError,
  PayPalClient,
  PayPalDuplicateBatchError,
  PayPalInvalidRequestError,
  PayPalTransportError,
  type CreateBatchInput,
} from './client.js';
import { outcomesBySenderItemId, submitBatchOnce, type StoredSendIntent } from './send-once.js';

const START = new Date('2027-03-15T12:00:00Z');

let clock: Date;
const now = () => new Date(clock.getTime());
let fake: FakePayPal | undefined;

async function start(options: FakePayPalOptions = {}) {
  const started = await startFakePayPal({ now, ...options });
  fake = started;
  return new PayPalClient({ baseUrl: started.baseUrl, clientId: started.clientId, clientSecret: started.clientSecret, now, timeoutMs: 2_000 });
}

/** The running fake (tests that use it have called start()). */
function paypal(): FakePayPal {
  if (!fake) throw new Error('start() first');
  return fake;
}

function batch(senderBatchId: string, receivers: string[] = ['ana@example.com']): CreateBatchInput {
  return {
    senderBatchId,
    emailSubject: 'Your Affable commissions',
    emailMessage: 'Thanks for promoting us.',
    items: receivers.map((receiver, i) => ({
      recipientType: 'EMAIL' as const,
      receiver,
      amountMinor: 9900 + i,
      currency: 'usd',
      senderItemId: `item-${i + 1}`,
      note: 'March 2027 commissions',
    })),
  };
}

const creates = () => paypal().requests.filter((r) => r.endpoint === 'createBatch');

beforeEach(() => {
  clock = new Date(START.getTime());
});

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('OAuth token', () => {
  it('is fetched with Basic auth and the client_credentials grant, then cached', async () => {
    const client = await start();
    const first = await client.accessToken();
    const second = await client.accessToken();
    expect(second).toBe(first);
    expect(paypal().tokensIssued()).toBe(1);
    const tokenRequest = paypal().requests.find((r) => r.endpoint === 'token');
    expect(tokenRequest?.headers.authorization).toBe(`Basic ${Buffer.from(`${paypal().clientId}:${paypal().clientSecret}`).toString('base64')}`);
    expect(tokenRequest?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(tokenRequest?.body).toBe('grant_type=client_credentials');
  });

  it('is reused across API calls and refreshed shortly before expires_in', async () => {
    const client = await start({ tokenTtlSeconds: 3600 });
    await client.createBatch(batch('run-1'));
    await client.getBatch(paypal().batches[0]!.payoutBatchId);
    expect(paypal().tokensIssued()).toBe(1);
    clock = new Date(START.getTime() + 54 * 60_000); // 6 minutes left: still outside the 5-minute margin
    await client.accessToken();
    expect(paypal().tokensIssued()).toBe(1);
    clock = new Date(START.getTime() + 56 * 60_000); // 4 minutes left: refresh
    await client.accessToken();
    expect(paypal().tokensIssued()).toBe(2);
  });

  it('is shared by concurrent callers', async () => {
    const client = await start();
    const tokens = await Promise.all([client.accessToken(), client.accessToken(), client.accessToken()]);
    expect(new Set(tokens).size).toBe(1);
    expect(paypal().tokensIssued()).toBe(1);
  });

  it('is fetched again once when PayPal answers 401 to a cached token', async () => {
    const client = await start();
    await client.accessToken();
    paypal().revokeTokens();
    const created = await client.createBatch(batch('run-401'));
    expect(created.batchStatus).toBe('PENDING');
    expect(paypal().tokensIssued()).toBe(2);
    expect(paypal().batches).toHaveLength(1);
  });

  it('fails with a typed error that does not reveal the secret when credentials are wrong', async () => {
    fake = await startFakePayPal({ now });
    const client = new PayPalClient({ baseUrl: fake.baseUrl, clientId: fake.clientId, clientSecret: 'wrong-secret-value', now });
    const error = await client.accessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayPalAuthError);
    expect((error as PayPalAuthError).oauthError).toBe('invalid_client');
    expect(String((error as Error).message)).not.toContain('wrong-secret-value');
    expect(JSON.stringify(client)).not.toContain('wrong-secret-value');
  });
});

describe('createBatch', () => {
  it("sends PayPal's exact JSON with PayPal-Request-Id = sender_batch_id", async () => {
    const client = await start();
    const created = await client.createBatch(batch('run-2027-03', ['ana@example.com', 'bo@example.com']));
    expect(created).toEqual({ payoutBatchId: paypal().batches[0]!.payoutBatchId, batchStatus: 'PENDING', senderBatchId: 'run-2027-03' });
    const request = creates()[0]!;
    expect(request.headers['paypal-request-id']).toBe('run-2027-03');
    expect(request.headers.authorization).toMatch(/^Bearer /);
    expect(JSON.parse(request.body)).toEqual({
      sender_batch_header: { sender_batch_id: 'run-2027-03', email_subject: 'Your Affable commissions', email_message: 'Thanks for promoting us.' },
      items: [
        { recipient_type: 'EMAIL', amount: { value: '99.00', currency: 'USD' }, note: 'March 2027 commissions', sender_item_id: 'item-1', receiver: 'ana@example.com' },
        { recipient_type: 'EMAIL', amount: { value: '99.01', currency: 'USD' }, note: 'March 2027 commissions', sender_item_id: 'item-2', receiver: 'bo@example.com' },
      ],
    });
  });

  it('formats zero-decimal currencies without decimals and refuses a fraction PayPal cannot take', async () => {
    const client = await start();
    await client.createBatch({ senderBatchId: 'jpy', items: [{ recipientType: 'EMAIL', receiver: 'a@example.jp', amountMinor: 4900, currency: 'JPY', senderItemId: 'i1' }] });
    await client.createBatch({ senderBatchId: 'huf', items: [{ recipientType: 'EMAIL', receiver: 'a@example.hu', amountMinor: 150000, currency: 'HUF', senderItemId: 'i1' }] });
    expect(paypal().batches.map((b) => b.items[0]!.amount)).toEqual([
      { value: '4900', currency: 'JPY' },
      { value: '1500', currency: 'HUF' },
    ]);
    const error = await client
      .createBatch({ senderBatchId: 'huf-2', items: [{ recipientType: 'EMAIL', receiver: 'a@example.hu', amountMinor: 150050, currency: 'HUF', senderItemId: 'i1' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayPalInvalidRequestError);
    expect(creates()).toHaveLength(2);
  });

  it('refuses bad input before calling PayPal', async () => {
    const client = await start();
    const refuse = (input: CreateBatchInput) => expect(client.createBatch(input)).rejects.toBeInstanceOf(PayPalInvalidRequestError);
    await refuse({ senderBatchId: 'x', items: [] });
    await refuse({ ...batch('x'), items: [{ ...batch('x').items[0]!, amountMinor: 0 }] });
    await refuse({ ...batch('x'), items: [{ ...batch('x').items[0]!, amountMinor: 10.5 }] });
    await refuse({ ...batch('x'), items: [batch('x').items[0]!, batch('x').items[0]!] });
    expect(paypal().requests).toHaveLength(0);
  });

  it('surfaces a reused sender_batch_id as PayPalDuplicateBatchError linking the original batch', async () => {
    const client = await start();
    const first = await client.createBatch(batch('run-dup'));
    const error = await client.createBatch(batch('run-dup')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayPalDuplicateBatchError);
    const duplicate = error as PayPalDuplicateBatchError;
    expect(duplicate.status).toBe(400);
    expect(duplicate.paypalName).toBe('USER_BUSINESS_ERROR');
    expect(duplicate.senderBatchId).toBe('run-dup');
    expect(duplicate.existingPayoutBatchId).toBe(first.payoutBatchId);
    expect(paypal().batches).toHaveLength(1);
  });

  it('reports a duplicate without a link as having no existing id', async () => {
    const client = await start({ duplicateLinksOriginal: false });
    await client.createBatch(batch('run-nolink'));
    const error = (await client.createBatch(batch('run-nolink')).catch((e: unknown) => e)) as PayPalDuplicateBatchError;
    expect(error).toBeInstanceOf(PayPalDuplicateBatchError);
    expect(error.existingPayoutBatchId).toBeNull();
    expect(await client.adoptExistingBatch(error)).toBeNull();
  });

  it('maps other PayPal errors to PayPalApiError with name and details', async () => {
    const client = await start();
    const error = (await client.createBatch(batch('bad', ['not-an-email'])).catch((e: unknown) => e)) as PayPalApiError;
    expect(error).toBeInstanceOf(PayPalApiError);
    expect(error).not.toBeInstanceOf(PayPalDuplicateBatchError);
    expect(error.paypalName).toBe('VALIDATION_ERROR');
    expect(error.details[0]?.field).toBe('items[0].receiver');
    expect(error.retryable).toBe(false);
  });

  it('treats a timeout as an unknown outcome', async () => {
    await start();
    paypal().injectFault('createBatch', { kind: 'delay-after-accept', delayMs: 500 });
    const quick = new PayPalClient({ baseUrl: paypal().baseUrl, clientId: paypal().clientId, clientSecret: paypal().clientSecret, now, timeoutMs: 100 });
    await quick.accessToken();
    const error = (await quick.createBatch(batch('slow')).catch((e: unknown) => e)) as PayPalTransportError;
    expect(error).toBeInstanceOf(PayPalTransportError);
    expect(error.timedOut).toBe(true);
    expect(error.outcomeUnknown).toBe(true);
    expect(paypal().batches).toHaveLength(1); // PayPal did accept it
  });
});

describe('getBatch and item outcomes', () => {
  it('polls a batch until its items are paid or failed with PayPal’s reason', async () => {
    const client = await start({ pollsUntilFinal: 3 });
    const created = await client.createBatch(batch('run-poll', ['ana@example.com', 'will-fail@example.com']));
    const first = await client.getBatch(created.payoutBatchId);
    expect(first.settled).toBe(false);
    expect(first.items.map((i) => i.outcome.kind)).toEqual(['pending', 'pending']);
    expect((await client.getBatch(created.payoutBatchId)).settled).toBe(false);
    const final = await client.getBatch(created.payoutBatchId);
    expect(final.settled).toBe(true);
    expect(final.batchStatus).toBe('SUCCESS');
    expect(final.senderBatchId).toBe('run-poll');
    expect(final.items).toMatchObject([
      { senderItemId: 'item-1', transactionStatus: 'SUCCESS', amountMinor: 9900, currency: 'USD', receiver: 'ana@example.com', outcome: { kind: 'paid' } },
      {
        senderItemId: 'item-2',
        transactionStatus: 'FAILED',
        amountMinor: 9901,
        outcome: { kind: 'failed', reason: { name: 'RECEIVER_UNREGISTERED', message: 'Receiver is unregistered' } },
      },
    ]);
  });

  it('reads every page of a large batch', async () => {
    const client = await start();
    const receivers = Array.from({ length: 7 }, (_, i) => `r${i}@example.com`);
    const created = await client.createBatch(batch('run-pages', receivers));
    const read = await client.getBatch(created.payoutBatchId, { pageSize: 3 });
    expect(read.items.map((i) => i.senderItemId)).toEqual(receivers.map((_, i) => `item-${i + 1}`));
    const gets = paypal().requests.filter((r) => r.endpoint === 'getBatch');
    expect(gets.map((r) => r.query.page)).toEqual(['1', '2', '3']);
    expect(gets.every((r) => r.query.page_size === '3')).toBe(true);
  });

  it('keeps UNCLAIMED and ONHOLD items pending', async () => {
    const client = await start({
      resultFor: ({ receiver }) => (receiver.startsWith('new') ? { status: 'UNCLAIMED' } : { status: 'ONHOLD' }),
    });
    const created = await client.createBatch(batch('run-unclaimed', ['new@example.com', 'held@example.com']));
    const read = await client.getBatch(created.payoutBatchId);
    expect(read.items.map((i) => [i.transactionStatus, i.outcome.kind])).toEqual([
      ['UNCLAIMED', 'pending'],
      ['ONHOLD', 'pending'],
    ]);
    expect(read.settled).toBe(false);
  });

  it('answers 404 for an unknown batch as a PayPalApiError', async () => {
    const client = await start();
    const error = (await client.getBatch('NOPE').catch((e: unknown) => e)) as PayPalApiError;
    expect(error).toBeInstanceOf(PayPalApiError);
    expect(error.status).toBe(404);
    expect(error.paypalName).toBe('INVALID_RESOURCE_ID');
  });

  it.each([
    ['SUCCESS', null, undefined, { kind: 'paid' }],
    ['FAILED', { name: 'RECEIVER_UNREGISTERED', message: 'Receiver is unregistered' }, undefined, { kind: 'failed', reason: { name: 'RECEIVER_UNREGISTERED', message: 'Receiver is unregistered' } }],
    ['RETURNED', null, undefined, { kind: 'failed', reason: { name: 'RETURNED', message: expect.any(String) } }],
    ['BLOCKED', null, undefined, { kind: 'failed', reason: { name: 'BLOCKED', message: expect.any(String) } }],
    ['REFUNDED', null, undefined, { kind: 'failed', reason: { name: 'REFUNDED', message: expect.any(String) } }],
    ['REVERSED', null, undefined, { kind: 'failed', reason: { name: 'REVERSED', message: expect.any(String) } }],
    ['DENIED', null, undefined, { kind: 'failed', reason: { name: 'DENIED', message: expect.any(String) } }],
    ['PENDING', null, undefined, { kind: 'pending' }],
    ['UNCLAIMED', null, undefined, { kind: 'pending' }],
    ['ONHOLD', null, undefined, { kind: 'pending' }],
    ['SOMETHING_NEW', null, undefined, { kind: 'pending' }],
    [undefined, null, 'DENIED', { kind: 'failed', reason: { name: 'BATCH_DENIED', message: expect.any(String) } }],
  ] as const)('classifies item %s (errors %o, batch %s)', (status, errors, batchStatus, expected) => {
    expect(classifyItemStatus(status, errors, batchStatus)).toEqual(expected);
  });
});

describe('crash after PayPal accepted the batch', () => {
  it('retrying after a dropped connection gets the duplicate error, adopts the original, and creates no second batch', async () => {
    const client = await start();
    paypal().injectFault('createBatch', { kind: 'drop-after-accept' });

    const lost = (await client.createBatch(batch('run-crash')).catch((e: unknown) => e)) as PayPalTransportError;
    expect(lost).toBeInstanceOf(PayPalTransportError);
    expect(lost.outcomeUnknown).toBe(true);
    expect(paypal().batches).toHaveLength(1);

    const duplicate = (await client.createBatch(batch('run-crash')).catch((e: unknown) => e)) as PayPalDuplicateBatchError;
    expect(duplicate).toBeInstanceOf(PayPalDuplicateBatchError);
    const adopted = await client.adoptExistingBatch(duplicate);
    expect(adopted?.payoutBatchId).toBe(paypal().batches[0]!.payoutBatchId);
    expect(adopted?.items.map((i) => i.outcome.kind)).toEqual(['paid']);

    expect(paypal().batches).toHaveLength(1);
    expect(creates().map((r) => r.outcome)).toEqual(['dropped', 400]);
  });

  it('submitBatchOnce recovers on its own and persists the batch id exactly once', async () => {
    const client = await start();
    paypal().injectFault('createBatch', { kind: 'drop-after-accept' });
    const persisted: string[] = [];
    const intent: StoredSendIntent = { senderBatchId: 'run-once', intentRecordedAt: START, payoutBatchId: null };
    const result = await submitBatchOnce(client, intent, batch('run-once'), {
      now,
      persistPayoutBatchId: async (id) => {
        persisted.push(id);
      },
      sleep: async () => {},
    });
    expect(result).toEqual({ kind: 'already_submitted', payoutBatchId: paypal().batches[0]!.payoutBatchId, recovered: true });
    expect(persisted).toEqual([paypal().batches[0]!.payoutBatchId]);
    expect(paypal().batches).toHaveLength(1);
  });

  it('a PayPal that replays the first answer for a repeated PayPal-Request-Id also ends with one batch', async () => {
    const client = await start({ replayRequestId: true });
    paypal().injectFault('createBatch', { kind: 'drop-after-accept' });
    const result = await submitBatchOnce(client, { senderBatchId: 'run-replay', intentRecordedAt: START, payoutBatchId: null }, batch('run-replay'), {
      now,
      persistPayoutBatchId: async () => {},
      sleep: async () => {},
    });
    expect(result).toEqual({ kind: 'created', payoutBatchId: paypal().batches[0]!.payoutBatchId });
    expect(paypal().batches).toHaveLength(1);
  });

  it('submitBatchOnce does not POST when the batch id is already stored', async () => {
    const client = await start();
    const result = await submitBatchOnce(
      client,
      { senderBatchId: 'run-stored', intentRecordedAt: START, payoutBatchId: 'PB-STORED' },
      batch('run-stored'),
      { now, persistPayoutBatchId: async () => {} },
    );
    expect(result).toEqual({ kind: 'already_submitted', payoutBatchId: 'PB-STORED', recovered: false });
    expect(paypal().requests).toHaveLength(0);
  });

  it('submitBatchOnce asks for reconciliation when PayPal gives no link to the original', async () => {
    const client = await start({ duplicateLinksOriginal: false });
    paypal().injectFault('createBatch', { kind: 'drop-after-accept' });
    const persisted: string[] = [];
    const result = await submitBatchOnce(client, { senderBatchId: 'run-x', intentRecordedAt: START, payoutBatchId: null }, batch('run-x'), {
      now,
      persistPayoutBatchId: async (id) => {
        persisted.push(id);
      },
      sleep: async () => {},
    });
    expect(result).toEqual({ kind: 'needs_reconciliation', reason: 'duplicate_without_link' });
    expect(persisted).toEqual([]);
    expect(paypal().batches).toHaveLength(1);
  });

  it('submitBatchOnce refuses to re-POST an intent older than the 30-day duplicate window', async () => {
    const client = await start();
    clock = new Date(START.getTime() + 29 * 24 * 3600_000);
    const result = await submitBatchOnce(client, { senderBatchId: 'run-old', intentRecordedAt: START, payoutBatchId: null }, batch('run-old'), {
      now,
      persistPayoutBatchId: async () => {},
    });
    expect(result).toEqual({ kind: 'needs_reconciliation', reason: 'intent_older_than_duplicate_window' });
    expect(paypal().requests).toHaveLength(0);
  });

  it('submitBatchOnce retries a 503 with the same sender_batch_id and creates one batch', async () => {
    const client = await start();
    paypal().injectFault('createBatch', { kind: 'status', status: 503 });
    paypal().injectFault('createBatch', { kind: 'drop-before-accept' });
    const result = await submitBatchOnce(client, { senderBatchId: 'run-503', intentRecordedAt: START, payoutBatchId: null }, batch('run-503'), {
      now,
      persistPayoutBatchId: async () => {},
      sleep: async () => {},
    });
    expect(result).toEqual({ kind: 'created', payoutBatchId: paypal().batches[0]!.payoutBatchId });
    expect(creates().map((r) => [r.outcome, JSON.parse(r.body).sender_batch_header.sender_batch_id])).toEqual([
      [503, 'run-503'],
      ['dropped', 'run-503'],
      [201, 'run-503'],
    ]);
  });

  it('submitBatchOnce gives up as retry_later after the attempts, and reports a rejection as rejected', async () => {
    const client = await start();
    for (let i = 0; i < 2; i++) paypal().injectFault('createBatch', { kind: 'status', status: 500 });
    const deps = { now, persistPayoutBatchId: async () => {}, sleep: async () => {}, attempts: 2 };
    const later = await submitBatchOnce(client, { senderBatchId: 'r', intentRecordedAt: START, payoutBatchId: null }, batch('r'), deps);
    expect(later.kind).toBe('retry_later');
    const rejected = await submitBatchOnce(client, { senderBatchId: 'v', intentRecordedAt: START, payoutBatchId: null }, batch('v', ['nope']), deps);
    expect(rejected.kind).toBe('rejected');
    expect(paypal().batches).toHaveLength(0);
  });

  it('outcomesBySenderItemId fails items missing from a denied batch and keeps them pending otherwise', () => {
    const base = { payoutBatchId: 'B', senderBatchId: 's', items: [], settled: false };
    expect(outcomesBySenderItemId({ ...base, batchStatus: 'PENDING' }, ['a'])).toEqual(new Map([['a', { kind: 'pending' }]]));
    expect(outcomesBySenderItemId({ ...base, batchStatus: 'DENIED' }, ['a']).get('a')).toMatchObject({ kind: 'failed', reason: { name: 'BATCH_DENIED' } });
  });
});

describe('existingBatchIdFromDuplicate', () => {
  it("reads the id from PayPal's recorded duplicate answer", () => {
    expect(
      existingBatchIdFromDuplicate({
        name: 'USER_BUSINESS_ERROR',
        message: 'User business error.',
        debug_id: 'f05063556a338',
        information_link: 'https://developer.paypal.com/docs/api/payments.payouts-batch/#errors',
        details: [
          {
            field: 'SENDER_BATCH_ID',
            issue: 'Batch with given sender_batch_id already exists',
            link: [{ href: 'https://api.sandbox.paypal.com/v1/payments/payouts/CR9VS2K4X4846', rel: 'self', method: 'GET' }],
          },
        ],
      }),
    ).toBe('CR9VS2K4X4846');
    expect(existingBatchIdFromDuplicate({ name: 'USER_BUSINESS_ERROR', details: [{ field: 'SENDER_BATCH_ID' }] })).toBeNull();
    expect(existingBatchIdFromDuplicate('garbage')).toBeNull();
  });
});
