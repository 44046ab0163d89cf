// Proves what an affiliate's session can reach, over every route the server has (walked from
// its route catalog, so a route added later is covered too): affiliate A naming affiliate B gets
// 404 and none of B's data; an affiliate on an admin-only route gets 403; nothing is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, makeTestApp, type TestApp } from '../../../test/support/app.js';
import { scenario, type Scenario } from '../../../test/support/scenario.js';
import { browserFor, PASSWORD, sessionCookieOf, type Browser } from '../../../test/support/sessions.js';

let t: TestApp;
let s: Scenario;
let a: Browser;
let b: { id: string; code: string; jv: string };
const bSecrets: string[] = [];

async function logInAs(login: string): Promise<Browser> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { login, password: PASSWORD } });
  expect(res.statusCode, res.body).toBe(200);
  return browserFor(t, sessionCookieOf(res), res.json().csrf_token, res.json().affiliate.id);
}

beforeAll(async () => {
  t = await makeTestApp();
  s = await scenario(t, { start: '2027-01-01T00:00:00Z' });
  await s.affiliate('alice_a', { password: PASSWORD, email: 'alice@aff.test' });
  b = await s.affiliate('bobby_b', { password: PASSWORD, email: 'bobby-private@aff.test' });
  // B has a tracking link, a click, a sale (a commission) and a payout account: data worth stealing.
  expect((await t.call('POST', `/api/v1/affiliates/${b.id}/tracking_links`, { program: 'kartra', name: 'bobs-secret-blog' })).statusCode).toBe(201);
  const click = await s.click(b.code);
  await s.pay({ id: 'pay_b1', sub: 'sub_b1', customer: 'cus_b1', amount: 9900, click: click.clickId });
  await t.call('PUT', `/api/v1/affiliates/${b.id}/payout_account`, { paypal_email: 'bobby-paypal@aff.test' });
  bSecrets.push('bobby-private@aff.test', 'bobby-paypal@aff.test', 'bobs-secret-blog', b.code, b.jv, 'cus_b1', 'pay_b1');
  a = await logInAs('alice_a');
});
afterAll(async () => {
  await t.close();
});

/** Fills a route pattern's params: `:id` with the given affiliate id, anything else with a plausible value. */
function fill(url: string, id: string): string {
  return url
    .replace(':id', id)
    .replace(':slug', 'kartra')
    .replace(/:[a-z_]+/g, 'x')
    .replace('*', 'x');
}

const writeTables = ['affiliates', 'applications', 'links', 'payout_accounts', 'tax_forms', 'commissions', 'marketing_materials', 'api_keys', 'payout_runs'];
async function snapshot(): Promise<number[]> {
  return Promise.all(writeTables.map((table) => countRows(t.database, table)));
}

describe('an affiliate session naming another affiliate', () => {
  it('gets 404 and none of their data, on every /api/v1/affiliates/:id route', async () => {
    const routes = t.app.routeCatalog.filter((r) => r.affiliate && r.url.startsWith('/api/v1/affiliates/:id'));
    expect(routes.length).toBeGreaterThanOrEqual(8); // the affiliate, links, tracking links, balance, tier, recruits, materials, stats, payout account, tax form
    const before = await snapshot();
    for (const route of routes) {
      const url = `${fill(route.url, b.id)}?program=kartra`;
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : { program: 'kartra', name: 'stolen', paypal_email: 'thief@x.test' };
      const res = await a.call(route.method as 'GET', url, body);
      expect(res.statusCode, `${route.method} ${route.url}: ${res.body}`).toBe(404);
      for (const secret of bSecrets) expect(res.body, `${route.method} ${route.url}`).not.toContain(secret);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('gets 404 when naming them in ?affiliate_id= or a body’s affiliate_id', async () => {
    const list = await a.call('GET', `/api/v1/commissions?program=kartra&affiliate_id=${b.id}`);
    expect(list.statusCode).toBe(404);
    const before = await snapshot();
    const apply = await a.call('POST', '/api/v1/programs/kartra/applications', { affiliate_id: b.id, terms_version: 'v1' });
    expect(apply.statusCode).toBe(404);
    expect(await snapshot()).toEqual(before);
  });

  it('sees only their own commissions when no affiliate is named', async () => {
    const res = await a.call('GET', '/api/v1/commissions?program=kartra');
    expect(res.statusCode, res.body).toBe(200);
    for (const secret of bSecrets) expect(res.body).not.toContain(secret);
    const own = await t.call('GET', `/api/v1/commissions?program=kartra&affiliate_id=${b.id}`);
    expect(own.json().data.length).toBeGreaterThan(0); // B's commission exists; A just cannot see it
  });

  it('reads their own data on the same routes', async () => {
    for (const url of [`/api/v1/affiliates/${a.id}`, `/api/v1/affiliates/${a.id}/links?program=kartra`, `/api/v1/affiliates/${a.id}/materials?program=kartra`, `/api/v1/affiliates/${a.id}/stats?program=kartra`]) {
      const res = await a.call('GET', url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      for (const secret of bSecrets) expect(res.body).not.toContain(secret);
    }
  });
});

describe('an affiliate session on admin-only routes', () => {
  it('gets 403 on every route that is neither public nor marked for affiliates, and nothing is written', async () => {
    const routes = t.app.routeCatalog.filter((r) => !r.public && !r.affiliate);
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const before = await snapshot();
    for (const route of routes) {
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
      const res = await a.call(route.method as 'GET', `${fill(route.url, a.id)}?program=kartra`, body);
      expect(res.statusCode, `${route.method} ${route.url}: ${res.body}`).toBe(403);
      expect(res.json().code).toBe('admin_only');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('cannot approve their own application or read the queue', async () => {
    const me = await a.call('GET', `/api/v1/affiliates/${a.id}`);
    const applicationId = me.json().enrolments[0].application_id;
    expect((await a.call('POST', `/api/v1/applications/${applicationId}/approve`)).statusCode).toBe(403);
    expect((await a.call('GET', '/api/v1/console/applications?program=kartra')).statusCode).toBe(403);
    expect((await a.call('GET', '/api/v1/console/fraud?program=kartra')).statusCode).toBe(403);
  });
});
