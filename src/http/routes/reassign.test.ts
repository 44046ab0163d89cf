// Proves POST /api/v1/customers/{id}/reassign (R3.2) on this run's backend for a customer with two
// subscriptions: both move, and the second's commission is priced with the first's sale already in
// the new affiliate's book (R5.3: the sales that counted before the payment), as the stored book
// has it once the first is moved.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../../test/support/app.js';
import { scenario, type Scenario } from '../../../test/support/scenario.js';

let t: TestApp;
let s: Scenario;

/** Two tiers: one customer with a counted sale lifts an affiliate to `up`. */
const rates = (bps: number) => ({ month: { first_bps: bps, recurring_bps: bps }, year: { first_bps: bps, recurring_bps: bps } });
const PLAN = {
  tiers: [
    { key: 'base', name: 'Base', min_customers: 0, revenue_above: null, rates: rates(2000) },
    { key: 'up', name: 'Up', min_customers: 1, revenue_above: null, rates: rates(5000) },
  ],
};

beforeAll(async () => {
  t = await makeTestApp();
  // No hold and no refund window, so that a sale counts toward the tier from its own instant.
  s = await scenario(t, { start: '2027-02-01T03:00:00Z', program: { hold_days: 0, refund_days: 0, plan: PLAN } });
});
afterAll(async () => {
  await t.close();
});

it('moves every active subscription of the customer and prices each with the ones moved before it', async () => {
  const from = await s.affiliate('movefrom');
  const to = await s.affiliate('moveto');
  await s.pay({ id: 'pay_m1', sub: 'sub_m1', customer: 'cus_m', amount: 10_000, code: from.code, at: '2027-02-01T00:00:00Z' });
  await s.pay({ id: 'pay_m2', sub: 'sub_m2', customer: 'cus_m', amount: 10_000, code: from.code, at: '2027-02-01T01:00:00Z' });

  const res = await t.call('POST', '/api/v1/customers/cus_m/reassign', { program: s.program, affiliate_id: to.id, reason: 'customer asked' });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { subscriptions: string[]; reversed: unknown[]; commissions: Array<{ payment_id: string; affiliate_id: string; tier: string; amount: number }> };
  expect(body.subscriptions).toEqual(['sub_m1', 'sub_m2']);
  expect(body.reversed).toHaveLength(2);
  // pay_m1: no sale of theirs before it, base 20%. pay_m2: pay_m1, now theirs, counted: up 50%.
  expect(body.commissions.map((c) => [c.payment_id, c.affiliate_id, c.tier, c.amount]).sort()).toEqual([
    ['pay_m1', to.id, 'base', 2_000],
    ['pay_m2', to.id, 'up', 5_000],
  ]);
});
