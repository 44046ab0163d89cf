// Proves that an event's answer shows its commissions exactly as a later read of them does: the
// answer is rendered from what ingestion just wrote (no re-read), and must not drift from the ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../../test/support/app.js';
import { scenario, type Scenario } from '../../../test/support/scenario.js';

let t: TestApp;
let s: Scenario;
beforeAll(async () => {
  t = await makeTestApp();
  s = await scenario(t, { start: '2027-01-01T00:00:00Z' });
});
afterAll(async () => {
  await t.close();
});

type View = { id: string; affiliate_id: string };

/** The same commissions, read back through GET /api/v1/commissions at the same instant. */
async function readBack(answer: View[]): Promise<View[]> {
  const byAffiliate = new Map<string, View[]>();
  for (const c of answer) {
    if (!byAffiliate.has(c.affiliate_id)) byAffiliate.set(c.affiliate_id, await s.commissions(c.affiliate_id));
  }
  return answer.map((c) => byAffiliate.get(c.affiliate_id)!.find((r) => r.id === c.id)!);
}

describe('event answers (api.md "Events")', () => {
  it('render new, JV, partly and fully reversed, and rejected commissions as the read API does', async () => {
    const recruiter = await s.affiliate('answerrecruiter');
    const a = await s.affiliate('answerseller', { recruited_by: 'answerrecruiter', customer_id: 'cus_self' });
    const click = await s.click(a.code);
    const answers: View[][] = [];
    // Each answer is read back at once, before the next event changes the ledger.
    const check = async (answer: View[]) => {
      expect(answer.length).toBeGreaterThan(0);
      expect(answer).toEqual(await readBack(answer));
      answers.push(answer);
    };
    await check((await s.pay({ id: 'ans_p1', sub: 'ans_s1', customer: 'ans_c1', amount: 9900, click: click.clickId })).commissions);
    await check((await s.pay({ id: 'ans_p2', sub: 'ans_s2', customer: 'ans_c2', amount: 4900, code: a.code })).commissions);
    await s.setTime('2027-03-01T00:00:00Z');
    await check((await s.pay({ id: 'ans_p3', sub: 'ans_s1', customer: 'ans_c1', amount: 9900 })).commissions);
    await check((await s.event({ id: 'ans_r1', type: 'payment.refunded', payment: { id: 'ans_p3', amount: 2000 } })).body.commissions);
    await check((await s.event({ id: 'ans_r2', type: 'payment.refunded', payment: { id: 'ans_p3' } })).body.commissions);
    await check((await s.event({ id: 'ans_r3', type: 'payment.disputed', payment: { id: 'ans_p1' } })).body.commissions);
    await check((await s.pay({ id: 'ans_p4', sub: 'ans_s4', customer: 'cus_self', amount: 9900, code: a.code })).commissions);
    const statuses = new Set(answers.flat().map((c) => (c as View & { status: string }).status));
    expect([...statuses].sort()).toEqual(['rejected', 'reserve', 'reversed']);
    expect(answers.flat().some((c) => c.affiliate_id === recruiter.id)).toBe(true);
  });
});
