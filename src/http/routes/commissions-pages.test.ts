// Proves GET /api/v1/commissions's cursor pagination (api.md "Lists") on this run's backend: walking
// the pages, for the whole program, for one affiliate, and filtered by a status the database does
// not store, gives exactly the full list in its order (newest first, then by id), each commission
// once, when many commissions share one earned_at (the cursor's tie-break) and across the reading
// batches of 50 that a status filter scans.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../../test/support/app.js';
import { scenario, type Scenario } from '../../../test/support/scenario.js';

let t: TestApp;
let s: Scenario;
const affiliates: Array<{ id: string; code: string }> = [];

beforeAll(async () => {
  t = await makeTestApp();
  s = await scenario(t, { start: '2027-01-10T00:00:00Z' });
  const recruiter = await s.affiliate('pagesrecruiter');
  affiliates.push(recruiter, await s.affiliate('pagesrecruit', { recruited_by: 'pagesrecruiter' }));
  // 70 payments: runs of seven at one instant (ties on earned_at), alternating affiliates; the
  // recruit's earn their recruiter JV commissions too (R6). Every fifth is refunded whole.
  for (let n = 0; n < 70; n += 1) {
    const at = new Date(Date.UTC(2027, 0, 1) + Math.floor(n / 7) * 3_600_000).toISOString();
    await s.pay({ id: `pay_pg${n}`, sub: `sub_pg${n}`, customer: `cus_pg${n}`, amount: 9_900, code: affiliates[n % 2]!.code, at });
    if (n % 5 === 0) expect((await s.event({ id: `evt_rf_pg${n}`, type: 'payment.refunded', payment: { id: `pay_pg${n}` } })).status).toBe(201);
  }
});
afterAll(async () => {
  await t.close();
});

/** Every page of a query at `limit`, concatenated; checks each envelope on the way. */
async function walk(query: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await t.call('GET', `/api/v1/commissions?program=${s.program}&${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { data: Array<{ id: string }>; has_more: boolean; next_cursor: string | null };
    expect(body.data.length).toBeLessThanOrEqual(limit);
    ids.push(...body.data.map((c) => c.id));
    cursor = body.next_cursor;
    expect(body.has_more).toBe(cursor !== null);
    pages += 1;
    expect(pages).toBeLessThan(200);
  } while (cursor);
  return ids;
}

async function whole(query: string): Promise<Array<{ id: string; earned_at: string; status: string }>> {
  const res = await t.call('GET', `/api/v1/commissions?program=${s.program}&${query}&limit=100`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data;
}

describe('GET /api/v1/commissions pages', () => {
  it('lists the whole program newest first, ties by id, and the pages add up to it', async () => {
    const all = await whole('kind=direct');
    expect(all).toHaveLength(70);
    const sorted = [...all].sort((a, b) => (a.earned_at === b.earned_at ? (a.id < b.id ? 1 : -1) : a.earned_at < b.earned_at ? 1 : -1));
    expect(all.map((c) => c.id)).toEqual(sorted.map((c) => c.id));
    for (const limit of [1, 3, 7, 20]) expect(await walk('kind=direct', limit)).toEqual(all.map((c) => c.id));
  });

  it('pages one affiliate’s commissions, direct and JV, each once', async () => {
    const [recruiter] = affiliates;
    const all = await whole(`affiliate_id=${recruiter!.id}`);
    // 35 direct commissions of their own and 35 JV ones from the recruit's sales.
    expect(all).toHaveLength(70);
    expect(await walk(`affiliate_id=${recruiter!.id}`, 4)).toEqual(all.map((c) => c.id));
  });

  it('pages a status the database does not store (reversed), across its reading batches', async () => {
    const all = await whole('status=reversed');
    // Every fifth payment refunded whole: its direct commission, and the JV one of the recruit's.
    expect(all.length).toBe(14 + 7);
    expect(all.every((c) => c.status === 'reversed')).toBe(true);
    for (const limit of [2, 5]) expect(await walk('status=reversed', limit)).toEqual(all.map((c) => c.id));
  });
});
