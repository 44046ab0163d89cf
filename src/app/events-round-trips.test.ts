// Proves, on PostgreSQL, how many round trips a billing event's transaction takes: a payment of a
// program seen before is two socket writes ([BEGIN, claim, facts], [write, COMMIT]), its facts
// statement leaving with the claim; the first event of a program and a program on a
// test clock take three, as the facts wait for the claim's answer, and so does a payment whose
// program changed its hold since: the facts that left early asked for the old tier window and are
// asked again. A refund takes four: its reads leave together after the claim, and the read of its
// entries leaves with its writes. A redelivery takes two: the read of the first answer leaves with
// COMMIT. The answers are the same either way (events.test.ts,
// events-answer.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../../test/support/db.js';
import { makeTestApp, type TestApp } from '../../test/support/app.js';
import { scenario, type Scenario } from '../../test/support/scenario.js';
import { countSocketWrites } from '../../test/support/socket-writes.js';

describe.skipIf(backend !== 'postgres')('round trips of an event on PostgreSQL', () => {
  let t: TestApp;
  let s: Scenario;
  let code: string;
  let affiliateId: string;
  let writes: { total: () => number };
  beforeAll(async () => {
    t = await makeTestApp();
    writes = countSocketWrites(t.database.pool!);
    s = await scenario(t, { slug: 'trips' });
    const tripper = await s.affiliate('tripper');
    code = tripper.code;
    affiliateId = tripper.id;
    // The API key is cached after its first use; this request's own transactions are not counted.
    expect((await t.call('GET', '/api/v1/programs/trips')).statusCode).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  /** The socket writes of one event's request (its transaction; the API key is cached). */
  async function writesOf(body: Record<string, unknown>): Promise<number> {
    const before = writes.total();
    const res = await s.event(body);
    expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
    return writes.total() - before;
  }

  const payment = (n: number, extra: Record<string, unknown> = {}) => ({
    id: `evt_trip_${n}`,
    type: 'payment.succeeded',
    customer: { id: `cus_trip_${n}`, email: `c${n}@trip.test` },
    subscription: { id: `sub_trip_${n}` },
    payment: { id: `pay_trip_${n}`, amount: 9900, currency: 'usd' },
    referral_code: code,
    ...extra,
  });

  it('sends a payment’s facts with its claim once the program is known: two writes', async () => {
    // This program runs on a test clock (the scenario's): its events' instant is the clock's, known
    // only from the claim's answer, so the facts wait for it.
    expect(await writesOf(payment(1))).toBe(3);
    // A program on the server's clock, after its first event.
    const plain = await t.call('POST', '/api/v1/programs', { slug: 'trips2', name: 'trips2', currency: 'usd', landing_url: 'https://merchant.example/' });
    expect(plain.statusCode, plain.body).toBe(201);
    const application = await t.call('POST', '/api/v1/programs/trips2/applications', { affiliate_id: affiliateId, terms_version: 'v1' });
    expect((await t.call('POST', `/api/v1/applications/${application.json().id}/approve`)).statusCode).toBe(200);
    const links = await t.call('GET', `/api/v1/affiliates/${affiliateId}/links?program=trips2`);
    const body = (n: number) => ({ ...payment(n), program: 'trips2', referral_code: links.json().main.code });
    expect(await writesOf(body(2))).toBe(3); // the first: the program is not known yet
    expect(await writesOf(body(3))).toBe(2);
    expect(await writesOf({ ...body(4), occurred_at: '2026-12-31T12:00:00Z' })).toBe(2);
    // The program's hold changed since the hint: the facts that left with the claim asked for the
    // old hold's tier window, so they are asked again (three writes), and the commission is held
    // for the new hold.
    expect((await t.call('PATCH', '/api/v1/programs/trips2', { hold_days: 60 })).statusCode).toBe(200);
    const before = writes.total();
    const changed = await s.event(body(5));
    expect(changed.status, JSON.stringify(changed.body)).toBe(201);
    expect(writes.total() - before).toBe(3);
    const commission = changed.body.commissions[0];
    expect([commission.earned_at, commission.due_at]).toEqual(['2027-01-01T00:00:00.000Z', '2027-03-02T00:00:00.000Z']); // 60 days
    expect(await writesOf(body(6))).toBe(2);
  });

  it('sends a refund’s reads together, and its entries’ read with its writes: four writes', async () => {
    // [BEGIN, claim], [payment and lock, refunds before, commissions, entries],
    // [refund and reversals, entries after them], [stored answer, COMMIT].
    expect(await writesOf({ id: 'evt_trip_refund_1', type: 'payment.refunded', payment: { id: 'pay_trip_1', amount: 1000 } })).toBe(4);
    expect(await writesOf({ id: 'evt_trip_refund_2', type: 'payment.disputed', payment: { id: 'pay_trip_1' } })).toBe(4);
    // A refund of what is already refunded writes nothing: its answer renders from the reads.
    expect(await writesOf({ id: 'evt_trip_refund_3', type: 'payment.refunded', payment: { id: 'pay_trip_1' } })).toBe(3);
    // A redelivery: [BEGIN, claim], [the first delivery's answer, COMMIT].
    expect(await writesOf({ id: 'evt_trip_refund_3', type: 'payment.refunded', payment: { id: 'pay_trip_1' } })).toBe(2);
    expect(await writesOf(payment(1))).toBe(2);
  });
});
