// Proves the crash-safe send of a payout run (R8.4, send-once.ts): a crash before the POST, after
// PayPal accepted but before we stored its batch id, or before we committed the item results; a
// PayPal that does not answer, answers 503, or refuses the batch; an intent too old to re-POST.
// After each, the fake PayPal holds exactly one batch (or none) and the ledger exactly one payout
// entry per paid commission: never paid twice, never a paid item left due.
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../test/support/app.js';
import { openTestDatabase } from '../../test/support/db.js';
import { startFakePayPal, type FakePayPal, type FakePayPalOptions } from '../../test/support/paypal-fake-server.js';
import { scenario } from '../../test/support/scenario.js';
import { PayPalClient, type CreateBatchInput, type RequestOptions } from '../integrations/paypal/client.js';
import type { Database, Tx } from '../store/db.js';
import { pollSendingRuns } from '../jobs/payouts.js';
import { payoutSendDeps } from './payout-send.js';

const W9 = { form: 'w9', legal_name: 'Ana Smith', country: 'US', tin: '123-45-6789', address: { line1: '1 Main St', city: 'Austin', postal_code: '78701', country: 'US' }, signed_at: '2026-12-01T10:00:00Z' };

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const clientFor = (fake: FakePayPal, Kind: typeof PayPalClient = PayPalClient) =>
  new Kind({ baseUrl: fake.baseUrl, clientId: fake.clientId, clientSecret: fake.clientSecret, now: () => new Date('2027-01-01T00:00:00Z'), timeoutMs: 2_000 });

/** A process that dies inside createBatch before the request leaves. */
class CrashBeforePost extends PayPalClient {
  override async createBatch(): Promise<never> {
    throw new Error('process died before the POST');
  }
}

/** A process that dies right after PayPal accepted the batch, before anything was stored. */
class CrashAfterAccept extends PayPalClient {
  override async createBatch(input: CreateBatchInput, options?: RequestOptions): Promise<never> {
    await super.createBatch(input, options);
    throw new Error('process died after PayPal accepted the batch');
  }
}

interface World {
  fake: FakePayPal;
  database: Database;
  t: TestApp;
  runId: string;
  commissionIds: string[];
  /** Restarts the app on the same database with a healthy PayPal client (a new process). */
  restart(): Promise<TestApp>;
}

/** Two payees with one due commission each, and an approved March run paying both. */
async function world(options: { fake?: FakePayPalOptions; client?: (fake: FakePayPal) => PayPalClient; database?: Database } = {}): Promise<World> {
  const fake = await startFakePayPal(options.fake);
  open.push(fake);
  const raw = options.database ?? (await openTestDatabase());
  open.push(raw);
  const t = await makeTestApp({ database: raw, paypal: options.client ? options.client(fake) : clientFor(fake) });
  open.push(t);
  const s = await scenario(t, { slug: 'kartra', start: '2027-01-05T10:00:00Z' });
  const commissionIds: string[] = [];
  for (const name of ['ana', 'bob']) {
    const a = await s.affiliate(name);
    expect((await t.call('PUT', `/api/v1/affiliates/${a.id}/tax_form`, W9)).statusCode).toBe(200);
    expect((await t.call('PUT', `/api/v1/affiliates/${a.id}/payout_account`, { paypal_email: `${name}@paypal.example` })).statusCode).toBe(200);
    const paid = await s.pay({ id: `pay_${name}`, sub: `sub_${name}`, customer: `cus_${name}`, amount: 9900, code: a.code });
    commissionIds.push(paid.commissions[0].id);
  }
  await s.setTime('2027-03-16T00:00:00Z');
  const run = await t.call('POST', '/api/v1/payout_runs', { program: 'kartra', month: '2027-03' });
  expect(run.statusCode, run.body).toBe(201);
  expect((await t.call('POST', `/api/v1/payout_runs/${run.json().id}/approve`)).statusCode).toBe(200);
  const w: World = {
    fake,
    database: raw,
    t,
    runId: run.json().id,
    commissionIds,
    restart: async () => {
      await w.t.close();
      w.t = await makeTestApp({ database: raw, paypal: clientFor(fake) });
      open.push(w.t);
      return w.t;
    },
  };
  return w;
}

const creates = (fake: FakePayPal) => fake.requests.filter((r) => r.endpoint === 'createBatch');

async function readRun(w: World) {
  const res = await w.t.call('GET', `/api/v1/payout_runs/${w.runId}`);
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** Payout entries per commission id. */
async function payoutEntries(database: Database): Promise<Map<string, number>> {
  const rows = await database.transaction(async (tx) => {
    const { ledgerEntries } = await import('../store/schema.js');
    const { eq } = await import('drizzle-orm');
    return tx.select().from(ledgerEntries).where(eq(ledgerEntries.type, 'payout'));
  });
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.commissionId, (counts.get(row.commissionId) ?? 0) + 1);
  return counts;
}

async function expectPaidExactlyOnce(w: World) {
  const run = await readRun(w);
  expect(run.status).toBe('sent');
  expect(run.items.map((i: { status: string }) => i.status)).toEqual(['paid', 'paid']);
  expect(w.fake.batches).toHaveLength(1);
  expect(w.fake.batches[0]!.senderBatchId).toBe(run.sender_batch_id);
  expect(w.fake.batches[0]!.items).toHaveLength(2);
  expect(run.paypal_batch_id).toBe(w.fake.batches[0]!.payoutBatchId);
  const entries = await payoutEntries(w.database);
  expect([...entries.keys()].sort()).toEqual([...w.commissionIds].sort());
  expect([...entries.values()]).toEqual([1, 1]);
}

describe('crash points', () => {
  it('a crash after the intent commit, before the POST: resumed, one batch', async () => {
    const w = await world({ client: (fake) => clientFor(fake, CrashBeforePost) });
    const crashed = await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    expect(crashed.statusCode).toBe(200);
    expect(crashed.json()).toMatchObject({ status: 'sending', paypal_batch_id: null, last_error: expect.stringContaining('before the POST') });
    expect(w.fake.batches).toHaveLength(0);

    const t = await w.restart();
    const resumed = await t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    expect(resumed.statusCode, resumed.body).toBe(200);
    await expectPaidExactlyOnce(w);
    expect(creates(w.fake)).toHaveLength(1);
  });

  it('a crash after PayPal accepted, before the batch id was stored: the original batch is adopted', async () => {
    const w = await world({ client: (fake) => clientFor(fake, CrashAfterAccept) });
    const crashed = await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    expect(crashed.json()).toMatchObject({ status: 'sending', paypal_batch_id: null });
    expect(w.fake.batches).toHaveLength(1);

    const t = await w.restart();
    const resumed = await t.call('POST', `/api/v1/payout_runs/${w.runId}/refresh`);
    expect(resumed.statusCode, resumed.body).toBe(200);
    await expectPaidExactlyOnce(w);
    // The second POST was refused by PayPal as a duplicate; nothing new was created.
    expect(creates(w.fake).map((r) => r.outcome)).toEqual([201, 400]);
  });

  it('a dropped connection after PayPal accepted: retried under the same sender_batch_id and adopted', async () => {
    const w = await world();
    w.fake.injectFault('createBatch', { kind: 'drop-after-accept' });
    const sent = await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    expect(sent.statusCode, sent.body).toBe(200);
    await expectPaidExactlyOnce(w);
    expect(creates(w.fake).map((r) => r.outcome)).toEqual(['dropped', 400]);
  });

  it('a crash before the item results were committed: recorded once on resume, entries once', async () => {
    const w = await world({ fake: { pollsUntilFinal: 2 } });
    const first = await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    expect(first.json()).toMatchObject({ status: 'sending', paypal_batch_id: expect.any(String) });
    expect(first.json().items.map((i: { status: string }) => i.status)).toEqual(['pending', 'pending']);

    // The next poll sees final results, but the process dies inside the transaction that records
    // them: it rolls back, as a crash before COMMIT would.
    const crashing = crashBeforeCommitOfPayouts(w.database);
    const t1 = await makeTestApp({ database: crashing, paypal: clientFor(w.fake) });
    open.push(t1);
    const failed = await t1.call('POST', `/api/v1/payout_runs/${w.runId}/refresh`);
    expect(failed.statusCode).toBe(500);
    expect((await payoutEntries(w.database)).size).toBe(0);
    expect((await readRun(w)).items.map((i: { status: string }) => i.status)).toEqual(['pending', 'pending']);

    const t = await w.restart();
    // Several pollers at once (the job, a refresh, a resend) still record each item once.
    const answers = await Promise.all([
      t.call('POST', `/api/v1/payout_runs/${w.runId}/refresh`),
      t.call('POST', `/api/v1/payout_runs/${w.runId}/send`),
      t.call('POST', `/api/v1/payout_runs/${w.runId}/refresh`),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    await expectPaidExactlyOnce(w);
    expect((await t.call('POST', `/api/v1/payout_runs/${w.runId}/refresh`)).json().status).toBe('sent');
    await expectPaidExactlyOnce(w);
    expect(creates(w.fake)).toHaveLength(1);
  });
});

describe('PayPal trouble', () => {
  it('retries a 503 under the same sender_batch_id and creates one batch', async () => {
    const w = await world();
    w.fake.injectFault('createBatch', { kind: 'status', status: 503, body: { name: 'SERVICE_UNAVAILABLE', message: 'try later' } });
    const sent = await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    expect(sent.statusCode).toBe(200);
    await expectPaidExactlyOnce(w);
  });

  it('stays sending when PayPal never answers, and the job finishes it later', async () => {
    const w = await world();
    for (let i = 0; i < 3; i++) w.fake.injectFault('createBatch', { kind: 'drop-before-accept' });
    const sent = await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    expect(sent.json()).toMatchObject({ status: 'sending', paypal_batch_id: null, last_error: expect.stringContaining('will retry') });
    expect(w.fake.batches).toHaveLength(0);

    // One pass of the scheduled job (src/jobs/payouts.ts) finishes the run.
    await pollSendingRuns(payoutSendDeps(w.t.context), w.t.context.log);
    await expectPaidExactlyOnce(w);
  });

  it('fails every item with PayPal’s reason when PayPal refuses the batch; the amounts stay due', async () => {
    const w = await world();
    w.fake.injectFault('createBatch', { kind: 'status', status: 422, body: { name: 'INSUFFICIENT_FUNDS', message: 'Sender does not have sufficient funds.' } });
    const sent = await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    expect(sent.statusCode).toBe(200);
    const run = sent.json();
    expect(run.status).toBe('sent');
    expect(run.items.map((i: { status: string; failure_reason: string }) => [i.status, i.failure_reason])).toEqual([
      ['failed', 'BATCH_REJECTED: INSUFFICIENT_FUNDS: Sender does not have sufficient funds.'],
      ['failed', 'BATCH_REJECTED: INSUFFICIENT_FUNDS: Sender does not have sufficient funds.'],
    ]);
    expect(w.fake.batches).toHaveLength(0);
    expect((await payoutEntries(w.database)).size).toBe(0);
    const balance = await w.t.call('GET', `/api/v1/affiliates/${run.items[0].affiliate_id}/balance?program=kartra`);
    expect(balance.json()).toMatchObject({ due: 9900, paid: 0 });
  });

  it('never re-POSTs an intent older than PayPal’s duplicate window: the run needs reconciliation', async () => {
    const w = await world({ client: (fake) => clientFor(fake, CrashAfterAccept) });
    await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    const t = await w.restart();
    t.clock.advance(30 * 24 * 3600 * 1000);
    const res = await t.call('POST', `/api/v1/payout_runs/${w.runId}/refresh`);
    expect(res.json()).toMatchObject({ status: 'needs_reconciliation', last_error: 'intent_older_than_duplicate_window' });
    expect(creates(w.fake)).toHaveLength(1);
    const again = await t.call('POST', `/api/v1/payout_runs/${w.runId}/send`);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('payout_run_needs_reconciliation');
    expect(creates(w.fake)).toHaveLength(1);
  });

  it('polls pending items until PayPal settles them, via refresh', async () => {
    const w = await world({ fake: { pollsUntilFinal: 3 } });
    expect((await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/send`)).json().status).toBe('sending');
    expect((await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/refresh`)).json().status).toBe('sending');
    expect((await w.t.call('POST', `/api/v1/payout_runs/${w.runId}/refresh`)).json().status).toBe('sent');
    await expectPaidExactlyOnce(w);
  });
});

/**
 * The same database, except that a transaction which wrote payout entries fails just before its
 * COMMIT (once), rolling back like a process killed at that instant.
 */
function crashBeforeCommitOfPayouts(database: Database): Database {
  let armed = true;
  const countPayouts = async (tx: Tx) => {
    const { ledgerEntries } = await import('../store/schema.js');
    const { eq } = await import('drizzle-orm');
    return (await tx.select({ id: ledgerEntries.id }).from(ledgerEntries).where(eq(ledgerEntries.type, 'payout'))).length;
  };
  const wrapped: Database = Object.create(database) as Database;
  Object.assign(wrapped, {
    transaction: <T>(work: (tx: Tx) => Promise<T>) =>
      database.transaction(async (tx) => {
        const before = armed ? await countPayouts(tx) : 0;
        const result = await work(tx);
        if (armed && (await countPayouts(tx)) > before) {
          armed = false;
          throw new Error('process killed before COMMIT');
        }
        return result;
      }),
    close: async () => undefined,
  });
  return wrapped;
}
