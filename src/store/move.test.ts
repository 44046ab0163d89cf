// Proves that moveDatabase copies an embedded database into an empty one of the backend this run
// targets (PostgreSQL with DATABASE_URL, another PGlite otherwise) row for row: every table reads
// back identical, the API answers the same balances, tiers and recruits from the copy, the per-link
// click counters and the recruits' JV nets are copied rather than counted twice, and a move into a
// database that is not empty, or one that fails half-way, leaves the target as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backend, openTestDatabase, withTestDatabase } from '../../test/support/db.js';
import { makeTestApp } from '../../test/support/app.js';
import { scenario } from '../../test/support/scenario.js';
import { openDatabase, type Database } from './db.js';
import { moveDatabase, MoveRefused, tablesInDependencyOrder } from './move.js';

const W9 = { form: 'w9', legal_name: 'Ana Smith', country: 'US', tin: '123-45-6789', address: { line1: '1 Main St', city: 'Austin', state: 'TX', postal_code: '78701', country: 'US' }, signed_at: '2026-12-01T10:00:00Z' };

let source: Database;
/** What the source's API answered before the move, to ask the copy the same. */
let before: { affiliates: string[]; answers: string[] };

/** The embedded database a merchant would move: PGlite, with a program's clicks, sales, refunds and a payout run. */
async function embeddedWithActivity(): Promise<Database> {
  const database = backend === 'pglite' ? await openTestDatabase() : await openDatabase({});
  if (backend === 'postgres') await database.migrate();
  const t = await makeTestApp({ database, now: '2027-01-01T00:00:00Z' });
  const s = await scenario(t, { slug: 'moved', start: '2027-01-01T00:00:00Z' });
  const ana = await s.affiliate('anabel');
  const bo = await s.affiliate('bobby', { recruited_by: 'anabel' }); // R6: bobby's sales earn anabel JV commissions
  for (const a of [ana, bo]) {
    expect((await t.call('PUT', `/api/v1/affiliates/${a.id}/tax_form`, W9)).statusCode).toBe(200);
    expect((await t.call('PUT', `/api/v1/affiliates/${a.id}/payout_account`, { paypal_email: `${a.id}@paypal.example` })).statusCode).toBe(200);
  }
  const clicks = [await s.click(ana.code), await s.click(bo.code), await s.click(bo.code), await s.click(ana.code, 'Googlebot/2.1 (+http://www.google.com/bot.html)')];
  await s.pay({ id: 'pay_1', sub: 'sub_1', customer: 'cus_1', amount: 9900, click: clicks[0]!.clickId });
  await s.pay({ id: 'pay_2', sub: 'sub_2', customer: 'cus_2', amount: 4900, click: clicks[1]!.clickId, fingerprint: "fp'\\1" });
  await s.pay({ id: 'pay_3', sub: 'sub_3', customer: 'cus_3', amount: 19900, code: bo.code });
  expect((await s.event({ id: 'evt_refund', type: 'payment.refunded', payment: { id: 'pay_3', amount: 5000 } })).status).toBe(201);
  await s.setTime('2027-03-05T00:00:00Z');
  expect((await t.call('POST', '/api/v1/payout_runs', { program: 'moved', month: '2027-03' })).statusCode).toBe(201);
  const affiliates = [ana.id, bo.id];
  const answers = await apiAnswers(t.call, affiliates);
  before = { affiliates, answers };
  await t.close();
  return database;
}

async function apiAnswers(call: Awaited<ReturnType<typeof makeTestApp>>['call'], affiliates: string[]): Promise<string[]> {
  const answers: string[] = [];
  for (const id of affiliates) {
    for (const path of [`/api/v1/affiliates/${id}/balance?program=moved`, `/api/v1/affiliates/${id}/tier?program=moved`, `/api/v1/affiliates/${id}/links?program=moved`, `/api/v1/commissions?program=moved&affiliate_id=${id}`, `/api/v1/affiliates/${id}/recruits?program=moved`]) {
      const res = await call('GET', path);
      expect(res.statusCode, res.body).toBe(200);
      answers.push(res.body);
    }
  }
  return answers;
}

/** Every table's rows as JSON text, in primary-key order. */
async function contents(database: Database): Promise<Record<string, string>> {
  const all: Record<string, string> = {};
  for (const info of tablesInDependencyOrder()) {
    const key = sql.raw(info.key.map((c) => `"${c}"`).join(', '));
    const result = (await database.transaction((tx) =>
      tx.execute(sql`select coalesce(json_agg(t order by ${key}), '[]')::text as rows from ${sql.raw(`"${info.name}"`)} t`),
    )) as { rows: Array<{ rows: string }> };
    all[info.name] = result.rows[0]!.rows;
  }
  return all;
}

beforeAll(async () => {
  source = await embeddedWithActivity();
}, 120_000);
afterAll(async () => {
  await source?.close();
});

describe(`moving an embedded database into ${backend}`, () => {
  it('orders every table after the tables its foreign keys name', () => {
    const order = tablesInDependencyOrder().map((t) => t.name);
    expect(order.indexOf('programs')).toBeLessThan(order.indexOf('applications'));
    expect(order.indexOf('test_clocks')).toBeLessThan(order.indexOf('programs'));
    expect(order.indexOf('commissions')).toBeLessThan(order.indexOf('ledger_entries'));
    expect(order.indexOf('payout_runs')).toBeLessThan(order.indexOf('payout_items'));
    expect(new Set(order).size).toBe(order.length);
  });

  it('copies every row of every table, and the API answers the same from the copy', () =>
    withTestDatabase(async (target) => {
      const moved = await moveDatabase(source, target, { pageRows: 2 }); // small pages: the keyset paging is exercised
      const expected = await contents(source);
      expect(await contents(target)).toEqual(expected);
      // Nothing was left out: the activity reached the money tables, the counters and the run.
      for (const table of ['clicks', 'link_click_counts', 'recruit_jv_nets', 'payments', 'refunds', 'commissions', 'ledger_entries', 'payout_runs', 'payout_items', 'tax_forms', 'events']) {
        expect(moved.find((m) => m.table === table)?.rows, table).toBeGreaterThan(0);
      }
      const t = await makeTestApp({ database: target, now: '2027-03-05T00:00:00Z' });
      try {
        expect(await apiAnswers(t.call, before.affiliates)).toEqual(before.answers);
      } finally {
        await t.close();
      }
      // The click counters came across as they were; a click recorded now is counted once.
      const counters = (await target.transaction((tx) => tx.execute(sql`select sum(clicks)::int as n from link_click_counts`))) as { rows: Array<{ n: number }> };
      expect(counters.rows[0]!.n).toBe(3); // four clicks, one of them a bot's
    }), 120_000);

  it('refuses a target that holds rows, and changes nothing there', () =>
    withTestDatabase(async (target) => {
      await target.transaction((tx) => tx.execute(sql`insert into settings (key, value, updated_at) values ('note', '"kept"'::jsonb, now())`));
      const was = await contents(target);
      await expect(moveDatabase(source, target)).rejects.toThrow(MoveRefused);
      await expect(moveDatabase(source, target)).rejects.toThrow(/not empty \(rows in settings\)/);
      expect(await contents(target)).toEqual(was);
    }), 60_000);

  it('leaves the target empty when the move fails half-way', () =>
    withTestDatabase(async (target) => {
      const empty = await contents(target);
      let tables = 0;
      const failing = moveDatabase(source, target, {
        progress: () => {
          tables += 1;
          if (tables === 5) throw new Error('the connection dropped');
        },
      });
      await expect(failing).rejects.toThrow('the connection dropped');
      expect(await contents(target)).toEqual(empty);
      // And a second attempt then succeeds.
      await moveDatabase(source, target);
      expect(await contents(target)).toEqual(await contents(source));
    }), 120_000);
});
