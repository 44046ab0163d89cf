// Proves the event pipeline end to end over HTTP (api.md "Events", "Reading money", "Customers"):
// attribution, tiers, holds by the clock, refunds, JV, self-referral, dismissal, reassignment,
// idempotency under concurrent redelivery, and that bad input is refused and writes nothing.
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { countRows, makeTestApp, TEST_STRIPE_SECRET, type TestApp, type TestAppOptions } from '../../../test/support/app.js';
import { scenario, type Scenario } from '../../../test/support/scenario.js';
import { backend } from '../../../test/support/db.js';
import { event as stripeEvent, legacyInvoice } from '../../integrations/stripe/fixtures.js';

let t: TestApp;
let s: Scenario;
beforeAll(async () => {
  t = await makeTestApp();
  s = await scenario(t, { start: '2027-01-01T00:00:00Z' });
});

/** Runs `body` with a scenario starting at `start` on an app with a database of its own, closed afterwards whatever happens. */
async function withOwnScenario(start: string, body: (x: Scenario, t2: TestApp) => Promise<void>, options: TestAppOptions = {}): Promise<void> {
  const t2 = await makeTestApp(options);
  try {
    await body(await scenario(t2, { start }), t2);
  } finally {
    await t2.close();
  }
}

afterAll(async () => {
  await t.close();
});

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const at = (s: string) => Date.parse(s);

describe('attribution and the first sale (R2.2, R3.1, R5)', () => {
  it('credits the last click, pays the referral tier 100% of the first monthly payment, and clears after 45 days (R4.2)', async () => {
    await s.setTime('2027-01-03T10:00:00Z');
    const a = await s.affiliate('first');
    const other = await s.affiliate('earlier');
    await s.click(other.code);
    const c = await s.click(a.code);
    const res = await s.pay({ id: 'pay_first', sub: 'sub_first', customer: 'cus_first', amount: 9900, click: c.clickId });
    expect(res.duplicate).toBe(false);
    expect(res.commissions).toHaveLength(1);
    expect(res.commissions[0]).toMatchObject({ kind: 'direct', status: 'reserve', amount: 9900, rate_bps: 10000, tier: 'referral', payment_id: 'pay_first', customer_id: 'cus_first' });
    expect(res.commissions[0].due_at).toBe('2027-02-17T10:00:00.000Z');
    expect(res.commissions[0].explanation.join(' ')).toContain(c.clickId);
    expect(await s.balance(a.id)).toEqual({ reserve: 9900, due: 0, paid: 0 });
    expect(await s.balance(other.id)).toEqual({ reserve: 0, due: 0, paid: 0 });
    // R4.2: advancing the program's test clock is enough for the commission to become due.
    await s.setTime('2027-02-17T09:59:59Z');
    expect(await s.balance(a.id)).toEqual({ reserve: 9900, due: 0, paid: 0 });
    await s.setTime('2027-02-17T10:00:00Z');
    expect(await s.balance(a.id)).toEqual({ reserve: 0, due: 9900, paid: 0 });
    expect((await s.commissions(a.id))[0].status).toBe('due');
  });

  it('follows the binding on rebills whatever is clicked later, and pays nothing for a referral-tier rebill (R3.1, R5.7)', async () => {
    const now = at('2027-02-17T10:00:00Z');
    const a = await s.affiliate('binder');
    const b = await s.affiliate('latecomer');
    const c = await s.click(a.code);
    await s.pay({ id: 'pay_b1', sub: 'sub_b', customer: 'cus_b', amount: 5000, click: c.clickId });
    const later = await s.click(b.code);
    const rebill = await s.pay({ id: 'pay_b2', sub: 'sub_b', customer: 'cus_b', amount: 5000, click: later.clickId, at: iso(now) });
    expect(rebill.commissions).toEqual([]);
    expect(rebill.reasons).toContain('rate_zero');
    expect(await s.commissions(b.id)).toEqual([]);
  });

  it('uses an explicit referral code when no click qualifies, with no window', async () => {
    const a = await s.affiliate('coder');
    const res = await s.pay({ id: 'pay_code', sub: 'sub_code', customer: 'cus_code', amount: 3000, click: 'clk_unknown', code: a.code });
    expect(res.commissions[0]).toMatchObject({ amount: 3000, tier: 'referral' });
    const annual = await s.pay({ id: 'pay_year', sub: 'sub_year', customer: 'cus_year', amount: 100000, code: a.code, interval: 'year' });
    expect(annual.commissions[0]).toMatchObject({ amount: 20000, rate_bps: 2000 });
  });

  it('credits nothing for an expired click, a click after the event, or no attribution', async () => {
    const a = await s.affiliate('expired');
    const c = await s.click(a.code);
    const future = iso(Date.parse((await t.call('GET', '/api/v1/programs/kartra')).json().now) - DAY);
    const before = await s.pay({ id: 'pay_before', sub: 'sub_before', customer: 'cus_before', amount: 1000, click: c.clickId, at: future });
    expect(before.commissions).toEqual([]);
    const none = await s.pay({ id: 'pay_none', sub: 'sub_none', customer: 'cus_none', amount: 1000 });
    expect(none.reasons).toContain('not_attributed');
  });
});

describe('trial, discount, full price (R4.1)', () => {
  it('pays the first full-price payment after a trial and a discounted payment', async () => {
    const a = await s.affiliate('trialist');
    const c = await s.click(a.code);
    const started = await s.event({ id: 'evt_trial_start', type: 'subscription.started', customer: { id: 'cus_trial' }, subscription: { id: 'sub_trial', interval: 'month' }, click_id: c.clickId });
    expect(started.status).toBe(201);
    const discounted = await s.pay({ id: 'pay_trial_disc', sub: 'sub_trial', customer: 'cus_trial', amount: 100, fullPrice: false });
    expect(discounted.commissions).toEqual([]);
    expect(discounted.reasons).toContain('not_full_price');
    const full = await s.pay({ id: 'pay_trial_full', sub: 'sub_trial', customer: 'cus_trial', amount: 9900 });
    expect(full.commissions[0]).toMatchObject({ amount: 9900, rate_bps: 10000 });
  });
});

describe('tiers (R5.1–R5.4)', () => {
  it('moves to Tier 1 after two customers’ sales clear; the crossing sale keeps the old rate (R5.3)', async () => {
    await withOwnScenario('2027-01-01T00:00:00Z', async (x) => {
      const a = await x.affiliate('climber');
      await x.pay({ id: 'p1', sub: 's1', customer: 'c1', amount: 10000, code: a.code });
      await x.pay({ id: 'p2', sub: 's2', customer: 'c2', amount: 10000, code: a.code });
      expect((await x.tier(a.id)).tier).toBe('referral');
      await x.setTime('2027-02-16T00:00:00Z');
      // 45 days have passed for both: two distinct customers → Tier 1.
      const tier = await x.tier(a.id);
      expect(tier).toMatchObject({ tier: 'tier_1', rate_bps: 2000, trailing_revenue: 20000, distinct_customers: 2, next: { tier: 'tier_2', revenue_needed: 80001, customers_needed: 0 } });
      const third = await x.pay({ id: 'p3', sub: 's3', customer: 'c3', amount: 10000, code: a.code });
      expect(third.commissions[0]).toMatchObject({ tier: 'tier_1', rate_bps: 2000, amount: 2000 });
      // A rebill of the first subscription is now paid at 20% recurring.
      const rebill = await x.pay({ id: 'p1b', sub: 's1', customer: 'c1', amount: 10000 });
      expect(rebill.commissions[0]).toMatchObject({ tier: 'tier_1', amount: 2000 });
      // R5.4: a year later without new sales the window has rolled and they are demoted.
      await x.setTime('2028-04-01T00:00:00Z');
      expect((await x.tier(a.id)).tier).toBe('referral');
    });
  });
});

describe('the tier book an event prices with (R5.3)', () => {
  // An event reads the tier book of the affiliate it most likely credits (the binding's, else the
  // click's, else the code's) with its other facts; when the engine credits someone else, the
  // credited affiliate's own book must be read instead.
  it('prices with the code’s affiliate’s book when their code beats an expired click of another affiliate', async () => {
    await withOwnScenario('2027-01-01T00:00:00Z', async (x) => {
      const a = await x.affiliate('coded');
      const b = await x.affiliate('stale');
      const old = await x.click(b.code);
      await x.pay({ id: 'q1', sub: 'qs1', customer: 'qc1', amount: 10000, code: a.code });
      await x.pay({ id: 'q2', sub: 'qs2', customer: 'qc2', amount: 10000, code: a.code });
      // Both of a's sales have cleared (Tier 1); b's click is past the 30-day cookie window.
      await x.setTime('2027-03-01T00:00:00Z');
      const res = await x.pay({ id: 'q3', sub: 'qs3', customer: 'qc3', amount: 10000, click: old.clickId!, code: a.code });
      expect(res.commissions).toHaveLength(1);
      expect(res.commissions[0]).toMatchObject({ affiliate_id: a.id, tier: 'tier_1', rate_bps: 2000, amount: 2000 });
      // b, whose book (empty: Referral tier) came with the facts, earned nothing.
      expect(await x.commissions(b.id)).toEqual([]);
    });
  });
});

describe('refunds and chargebacks (R4.3, R7.1)', () => {
  it('cancels a commission refunded in the hold, and records a negative due after it is due', async () => {
    await withOwnScenario('2027-01-01T00:00:00Z', async (x) => {
      const a = await x.affiliate('refunded');
      await x.pay({ id: 'r1', sub: 'rs1', customer: 'rc1', amount: 8000, code: a.code });
      await x.pay({ id: 'r2', sub: 'rs2', customer: 'rc2', amount: 6000, code: a.code });
      const refund = await x.event({ id: 'evt_refund_r1', type: 'payment.refunded', payment: { id: 'r1' } });
      expect(refund.status).toBe(201);
      expect(refund.body.commissions[0]).toMatchObject({ status: 'reversed', reversed_amount: 8000 });
      expect(await x.balance(a.id)).toEqual({ reserve: 6000, due: 0, paid: 0 });
      await x.setTime('2027-03-01T00:00:00Z');
      expect(await x.balance(a.id)).toEqual({ reserve: 0, due: 6000, paid: 0 });
      const partial = await x.event({ id: 'evt_partial_r2', type: 'payment.refunded', payment: { id: 'r2', amount: 1500 } });
      expect(partial.body.commissions[0]).toMatchObject({ reversed_amount: 1500, outstanding: 4500 });
      const chargeback = await x.event({ id: 'evt_dispute_r2', type: 'payment.disputed', payment: { id: 'r2' } });
      expect(chargeback.body.commissions[0]).toMatchObject({ status: 'reversed', reversed_amount: 6000 });
      expect(await x.balance(a.id)).toEqual({ reserve: 0, due: 0, paid: 0 });
      const unknown = await x.event({ id: 'evt_refund_unknown', type: 'payment.refunded', payment: { id: 'never_seen' } });
      expect(unknown.status).toBe(201);
      expect(unknown.body.commissions).toEqual([]);
    });
  });
});

describe('JV (R6)', () => {
  it('pays the recruiter 10% of every recruit sale, rebills included; reverses it with the refund; one level only', async () => {
    await withOwnScenario('2027-01-01T00:00:00Z', async (x, t2) => {
      const top = await x.affiliate('toprecruiter');
      const mid = await x.affiliate('midrecruit', { recruited_by: 'toprecruiter' });
      const leaf = await x.affiliate('leafrecruit', { recruited_by: 'midrecruit' });
      const first = await x.pay({ id: 'j1', sub: 'js1', customer: 'jc1', amount: 9900, code: mid.code });
      const jv = first.commissions.find((c: { kind: string }) => c.kind === 'jv');
      expect(jv).toMatchObject({ affiliate_id: top.id, amount: 990, rate_bps: 1000, recruit_affiliate_id: mid.id });
      const rebill = await x.pay({ id: 'j1b', sub: 'js1', customer: 'jc1', amount: 9900 });
      expect(rebill.commissions).toEqual([expect.objectContaining({ kind: 'jv', affiliate_id: top.id, amount: 990 })]);
      // R6.2: the leaf's sale pays mid (its recruiter), never top.
      const leafSale = await x.pay({ id: 'j2', sub: 'js2', customer: 'jc2', amount: 5000, code: leaf.code });
      expect(leafSale.commissions.filter((c: { kind: string }) => c.kind === 'jv').map((c: { affiliate_id: string }) => c.affiliate_id)).toEqual([mid.id]);
      const refund = await x.event({ id: 'evt_j1_refund', type: 'payment.refunded', payment: { id: 'j1' } });
      expect(refund.body.commissions.map((c: { status: string }) => c.status)).toEqual(['reversed', 'reversed']);
      const recruits = (await t2.call('GET', `/api/v1/affiliates/${top.id}/recruits?program=kartra`)).json().data;
      expect(recruits).toEqual([expect.objectContaining({ affiliate_id: mid.id, username: 'midrecruit', sales: 2, jv_commission_net: 990 })]);
    });
  });
});

describe('self-referral (R4.5) and dismissal (R1.2)', () => {
  it('rejects a purchase by the affiliate themselves, with no JV', async () => {
    const top = await s.affiliate('selfrecruiter');
    const a = await s.affiliate('selfbuyer', { recruited_by: 'selfrecruiter', customer_id: 'cus_own' });
    const byEmail = await s.pay({ id: 'pay_self_email', sub: 'sub_self_1', customer: 'cus_x1', email: '  SELFBUYER@aff.test ', amount: 9900, code: a.code, fingerprint: 'card_self' });
    expect(byEmail.commissions).toEqual([expect.objectContaining({ status: 'rejected', reason: 'self_referral', amount: 0 })]);
    const alias = await s.pay({ id: 'pay_alias', sub: 'sub_alias', customer: 'cus_x2', email: 'selfbuyer+alt@aff.test', amount: 9900, code: a.code });
    expect(alias.commissions.find((c: { kind: string }) => c.kind === 'direct')).toMatchObject({ status: 'reserve' });
    const byCard = await s.pay({ id: 'pay_self_card', sub: 'sub_self_2', customer: 'cus_x3', email: 'someone@else.test', amount: 9900, code: a.code, fingerprint: 'card_self' });
    expect(byCard.commissions[0]).toMatchObject({ status: 'rejected', reason: 'self_referral' });
    expect((await s.commissions(top.id)).every((c: { payment_id: string }) => !c.payment_id.startsWith('pay_self'))).toBe(true);
  });

  it('gives a dismissed affiliate nothing for rebills of bound subscriptions', async () => {
    const a = await s.affiliate('tobedismissed');
    await s.pay({ id: 'pay_d1', sub: 'sub_d', customer: 'cus_d', amount: 4000, code: a.code });
    const apps = (await t.call('GET', '/api/v1/programs/kartra/applications?status=approved&limit=100')).json();
    await t.call('POST', `/api/v1/applications/${apps.data.find((x: { affiliate_id: string }) => x.affiliate_id === a.id).id}/dismiss`, { reason: 'abuse' });
    const rebill = await s.pay({ id: 'pay_d2', sub: 'sub_d', customer: 'cus_d', amount: 4000 });
    expect(rebill.commissions).toEqual([]);
    expect(rebill.reasons).toContain('affiliate_not_approved');
  });
});

describe('R8.2: the page’s payout timing', () => {
  it('Jan 3 clears Feb 17 (March run); Jan 17 clears Mar 3 (April run)', async () => {
    await withOwnScenario('2027-01-03T12:00:00Z', async (x) => {
      const a = await x.affiliate('pagexample');
      const jan3 = await x.pay({ id: 'pe1', sub: 'pes1', customer: 'pec1', amount: 8000, code: a.code });
      await x.setTime('2027-01-17T12:00:00Z');
      const jan17 = await x.pay({ id: 'pe2', sub: 'pes2', customer: 'pec2', amount: 8000, code: a.code });
      expect(jan3.commissions[0].due_at).toBe('2027-02-17T12:00:00.000Z');
      expect(jan17.commissions[0].due_at).toBe('2027-03-03T12:00:00.000Z');
      await x.setTime('2027-03-01T00:00:00Z');
      expect(await x.balance(a.id)).toEqual({ reserve: 8000, due: 8000, paid: 0 });
      await x.setTime('2027-03-03T12:00:00Z');
      expect(await x.balance(a.id)).toEqual({ reserve: 0, due: 16000, paid: 0 });
    });
  });
});

describe('reassignment (R3.2)', () => {
  it('moves a customer within 30 days, reversing the old commission and creating the new one; refuses after', async () => {
    await withOwnScenario('2027-01-01T00:00:00Z', async (x, t2) => {
      const a = await x.affiliate('oldaff');
      const b = await x.affiliate('newaff');
      await x.pay({ id: 'ra1', sub: 'ras1', customer: 'rac1', amount: 9900, code: a.code });
      await x.setTime('2027-01-20T00:00:00Z');
      const res = await t2.call('POST', '/api/v1/customers/rac1/reassign', { program: 'kartra', affiliate_id: b.id, reason: 'customer asked' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().reversed).toEqual([expect.objectContaining({ amount: 9900 })]);
      expect(res.json().commissions).toEqual([expect.objectContaining({ affiliate_id: b.id, amount: 9900, earned_at: '2027-01-01T00:00:00.000Z' })]);
      expect(await x.balance(a.id)).toEqual({ reserve: 0, due: 0, paid: 0 });
      expect(await x.balance(b.id)).toEqual({ reserve: 9900, due: 0, paid: 0 });
      const rebill = await x.pay({ id: 'ra2', sub: 'ras1', customer: 'rac1', amount: 9900 });
      expect(rebill.commissions).toEqual([]); // b is on the referral tier: a rebill earns nothing
      await x.setTime('2027-02-01T00:00:00Z');
      const late = await t2.call('POST', '/api/v1/customers/rac1/reassign', { program: 'kartra', affiliate_id: a.id, reason: 'too late' });
      expect(late.statusCode).toBe(409);
      expect(late.json().code).toBe('reassignment_window_closed');
    });
  });
});

describe('idempotency (style §4)', () => {
  it('12 concurrent deliveries of one event → one commission and eleven duplicates', async () => {
    const a = await s.affiliate('concurrent');
    const body = { id: 'evt_conc', type: 'payment.succeeded', program: 'kartra', customer: { id: 'cus_conc' }, subscription: { id: 'sub_conc', interval: 'month' }, payment: { id: 'pay_conc', amount: 9900, currency: 'usd' }, referral_code: a.code };
    const results = await Promise.all(Array.from({ length: 12 }, () => t.call('POST', '/api/v1/events', body)));
    const bodies = results.map((r) => r.json());
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(11);
    const ids = new Set(bodies.map((b) => b.commissions[0].id));
    expect(ids.size).toBe(1);
    expect(await s.commissions(a.id)).toHaveLength(1);
  });

  // R4.3 on PostgreSQL: a refund's reads leave with the statement that takes its subscription's
  // lock and run after it, so they see what was committed while it waited.
  it.skipIf(backend !== 'postgres')('a refund reads the refunds committed while it waited for its subscription’s lock', async () => {
    const a = await s.affiliate('refundwait');
    await s.pay({ id: 'pay_wait', sub: 'sub_wait', customer: 'cus_wait', amount: 10000, code: a.code });
    const [paid] = await s.commissions(a.id);
    const programId = (await t.call('GET', '/api/v1/programs/kartra')).json().id as string;
    const key = `sub:${programId}:sub_wait`;
    const holder = await t.database.pool!.connect();
    try {
      await holder.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
      let settled = false;
      const pending = t.call('POST', '/api/v1/events', { id: 'evt_wait', type: 'payment.refunded', program: 'kartra', payment: { id: 'pay_wait', amount: 3000 } });
      void pending.finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false); // it waits for the lock
      // Another refund of 3,000 commits meanwhile (its row only; its reversal does not matter here).
      await holder.query(`insert into refunds (id, program_id, payment_id, kind, amount, at, created_at) values ('rfd_meanwhile', $1, 'pay_wait', 'refund', 3000, now(), now())`, [programId]);
      await holder.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      const res = await pending;
      expect(res.statusCode, res.body).toBe(201);
      // 6,000 of 10,000 refunded in all: it takes back 60% of the commission, not 30%.
      expect(res.json().commissions[0].reversed_amount).toBe((paid.amount * 6) / 10);
    } finally {
      holder.release();
    }
  });

  it('refuses the same id with another body (422) and a second event for a recorded payment (409)', async () => {
    const a = await s.affiliate('idem2');
    await s.pay({ id: 'pay_idem', sub: 'sub_idem', customer: 'cus_idem', amount: 1000, code: a.code });
    const other = await s.event({ id: 'evt_pay_idem', type: 'payment.succeeded', customer: { id: 'cus_idem' }, subscription: { id: 'sub_idem' }, payment: { id: 'pay_idem', amount: 2000, currency: 'usd' } });
    expect(other.status).toBe(422);
    const second = await s.event({ id: 'evt_other_id', type: 'payment.succeeded', customer: { id: 'cus_idem' }, subscription: { id: 'sub_idem' }, payment: { id: 'pay_idem', amount: 1000, currency: 'usd' } });
    expect(second.status).toBe(409);
  });
});

describe('bad input writes nothing', () => {
  const tables = ['events', 'payments', 'commissions', 'ledger_entries', 'subscriptions'];
  const snapshot = async () => Promise.all(tables.map((x) => countRows(t.database, x)));
  const good = { id: 'evt_bad', type: 'payment.succeeded', program: 'kartra', customer: { id: 'c' }, subscription: { id: 's', interval: 'month' }, payment: { id: 'p_bad', amount: 100, currency: 'usd' } };

  it.each([
    ['a negative amount', { payment: { id: 'p_bad', amount: -5, currency: 'usd' } }, 422],
    ['an amount as a string', { payment: { id: 'p_bad', amount: '100', currency: 'usd' } }, 422],
    ['an unknown type', { type: 'payment.teleported' }, 422],
    ['a missing customer', { customer: undefined }, 422],
    ['another currency', { payment: { id: 'p_bad', amount: 100, currency: 'eur' } }, 422],
    ['an unknown program', { program: 'nowhere' }, 404],
    ['an event far in the future', { occurred_at: '2031-01-01T00:00:00Z' }, 422],
    ['a bad interval', { subscription: { id: 's', interval: 'week' } }, 422],
  ])('refuses %s', async (_label, over, status) => {
    const before = await snapshot();
    const res = await t.call('POST', '/api/v1/events', { ...good, ...over });
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses malformed JSON (400) and an oversized body (413)', async () => {
    const before = await snapshot();
    expect((await t.call('POST', '/api/v1/events', '{"id":')).statusCode).toBe(400);
    const huge = JSON.stringify({ ...good, padding: 'x'.repeat(2_000_000) });
    const res = await t.call('POST', '/api/v1/events', huge);
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(await snapshot()).toEqual(before);
  });

  it('answers an oversized body over a real socket with the 413, not a reset, and keeps the connection', async () => {
    // Refused before it is read; the server drains it so the client, still sending, reads the answer.
    const before = await snapshot();
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: string) =>
      new Promise<{ status: number; type: string; body: string; connection: string | undefined; reused: boolean }>((resolve, reject) => {
        const req = httpRequest(`${base}/api/v1/events`, { method: 'POST', agent, headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: text, connection: res.headers.connection, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const huge = JSON.stringify({ ...good, padding: 'x'.repeat(2_000_000) });
    for (let i = 0; i < 10; i += 1) {
      const res = await post(huge);
      expect(res.status).toBe(413);
      expect(res.type).toContain('application/problem+json');
      expect(res.connection).not.toBe('close');
      expect(res.reused).toBe(i > 0); // one connection for all of them
    }
    // The same connection then serves a good request.
    const after = await post(JSON.stringify({ ...good, id: 'evt_after_huge', payment: { id: 'p_after_huge', amount: 100, currency: 'usd' } }));
    expect(after).toMatchObject({ status: 201, reused: true });
    agent.destroy();
    expect((await snapshot()).map((n, i) => n - before[i]!)).toEqual([1, 1, 0, 0, 1]);
  });
});

describe('Stripe webhook', () => {
  const stripe = new Stripe('sk_test_unused');
  const invoice = (id: string, code: string) =>
    stripeEvent('invoice.paid', legacyInvoice({ id: `in_${id}`, payment_intent: `pi_${id}`, customer: `cus_${id}`, subscription: `sub_${id}`, subscription_details: { metadata: { aff_ref: code } } }), { id: `evt_${id}` });

  it('refuses a bad signature with 400 and writes nothing', async () => {
    const before = await countRows(t.database, 'events');
    const payload = JSON.stringify(invoice('bad', 'x'));
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/integrations/stripe/webhook?program=kartra', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=deadbeef' }, payload });
    expect(res.statusCode).toBe(400);
    expect(await countRows(t.database, 'events')).toBe(before);
  });

  it('maps a signed invoice.paid to a payment and credits the referral code in its metadata', async () => {
    await withOwnScenario('2027-01-03T10:00:05Z', async (x, t2) => {
      const a = await x.affiliate('stripey');
      const payload = JSON.stringify(invoice('good', a.code));
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_STRIPE_SECRET, timestamp: Math.floor(t2.clock.now().getTime() / 1000) });
      const send = () => t2.app.inject({ method: 'POST', url: '/api/v1/integrations/stripe/webhook?program=kartra', headers: { 'content-type': 'application/json', 'stripe-signature': header }, payload });
      const res = await send();
      expect(res.statusCode, res.body).toBe(200);
      const commissions = await x.commissions(a.id);
      expect(commissions).toEqual([expect.objectContaining({ payment_id: 'pi_good', amount: 9900 })]);
      const again = await send();
      expect(again.json().events[0].duplicate).toBe(true);
      expect(await x.commissions(a.id)).toHaveLength(1);
    }, { now: '2027-01-03T10:00:05Z' });
  });
});
