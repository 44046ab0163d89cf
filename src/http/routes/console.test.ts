// Proves the console's endpoints: API keys (secret shown once, revocation bites), marketing
// materials with each affiliate's link filled in (R9.2), the console's read models (search, the
// queue with names, self-referral flags grouped per affiliate (R4.5), customers for R3.2), and
// how the built web UI is served (deep links, caching, no path traversal).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { countRows, makeTestApp, type TestApp } from '../../../test/support/app.js';
import { scenario, type Scenario } from '../../../test/support/scenario.js';
import { webRoutes } from './web.js';
import { revokeApiKey } from '../../app/api-keys.js';
import type { Api } from '../types.js';

let t: TestApp;
let s: Scenario;
let jane: { id: string; code: string; jv: string };
let self: { id: string; code: string; jv: string };

beforeAll(async () => {
  t = await makeTestApp();
  s = await scenario(t, { start: '2027-01-01T00:00:00Z' });
  jane = await s.affiliate('jane_doe', { name: 'Jane Doe' });
  self = await s.affiliate('selfie_sam', { name: 'Sam Self', customer_id: 'cus_sam' });
});
afterAll(async () => {
  await t.close();
});

describe('API keys', () => {
  it('shows a new key’s secret once, lists keys without secrets, and revocation stops it', async () => {
    const created = await t.call('POST', '/api/v1/api_keys', { name: 'billing' });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json();
    expect(key.secret).toMatch(/^afk_/);
    const list = await t.call('GET', '/api/v1/api_keys');
    expect(list.body).not.toContain(key.secret);
    expect(list.json().data.map((k: { id: string }) => k.id)).toContain(key.id);
    const use = () => t.app.inject({ method: 'GET', url: '/api/v1/programs', headers: { authorization: `Bearer ${key.secret}` } });
    expect((await use()).statusCode).toBe(200);
    expect((await t.call('POST', `/api/v1/api_keys/${key.id}/revoke`)).statusCode).toBe(200);
    expect((await use()).statusCode).toBe(401);
    expect((await t.call('POST', `/api/v1/api_keys/${key.id}/revoke`)).statusCode).toBe(404);
  });

  it('a key revoked elsewhere (the CLI, another node) stops working once the key cache’s TTL has passed', async () => {
    const key = (await t.call('POST', '/api/v1/api_keys', { name: 'other-node' })).json();
    const use = () => t.app.inject({ method: 'GET', url: '/api/v1/programs', headers: { authorization: `Bearer ${key.secret}` } });
    expect((await use()).statusCode).toBe(200);
    // What `npm run cli -- keys revoke` does: the row changes behind this process's back.
    await t.database.transaction((tx) => revokeApiKey(tx, t.clock, key.id));
    expect((await use()).statusCode).toBe(200); // remembered for at most the TTL
    t.clock.advance(t.context.apiKeyCache.ttlMs + 1);
    expect((await use()).statusCode).toBe(401);
    // An unknown key is never remembered: each try asks the database.
    const wrong = await t.app.inject({ method: 'GET', url: '/api/v1/programs', headers: { authorization: 'Bearer afk_not_a_key' } });
    expect(wrong.statusCode).toBe(401);
  });

  it('refuses a nameless key (422) and writes nothing', async () => {
    const before = await countRows(t.database, 'api_keys');
    const res = await t.call('POST', '/api/v1/api_keys', { name: '  ' });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors[0].field).toBe('name');
    expect(await countRows(t.database, 'api_keys')).toBe(before);
  });
});

describe('marketing materials (R9.2)', () => {
  it('lets admins create, edit and delete; affiliates read them with their own link filled in', async () => {
    const created = await t.call('POST', '/api/v1/programs/kartra/materials', { kind: 'text', title: 'Tweet', body: 'Try it: {{link}} (really: {{link}})' });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    expect(created.json().body).toContain('{{link}}');
    const mine = await t.call('GET', `/api/v1/affiliates/${jane.id}/materials?program=kartra`);
    expect(mine.statusCode, mine.body).toBe(200);
    const link = `http://affable.test/r/${jane.code}`;
    expect(mine.json().data[0]).toMatchObject({ title: 'Tweet', link, body: `Try it: ${link} (really: ${link})` });
    const edited = await t.call('PUT', `/api/v1/programs/kartra/materials/${id}`, { kind: 'banner', title: 'Banner', body: '', image_url: 'https://cdn.example/b.png' });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({ kind: 'banner', image_url: 'https://cdn.example/b.png' });
    const bad = await t.call('POST', '/api/v1/programs/kartra/materials', { kind: 'video', title: '', body: 'x', image_url: 'javascript:alert(1)' });
    expect(bad.statusCode).toBe(422);
    expect((bad.json().errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['image_url', 'kind', 'title']);
    expect((await t.call('DELETE', `/api/v1/programs/kartra/materials/${id}`)).statusCode).toBe(204);
    expect((await t.call('DELETE', `/api/v1/programs/kartra/materials/${id}`)).statusCode).toBe(404);
  });

  it('opens materials only to approved affiliates (409 otherwise)', async () => {
    const pending = await t.call('POST', '/api/v1/affiliates', { email: 'p@aff.test', username: 'pending_pat', name: 'Pat' });
    await t.call('POST', '/api/v1/programs/kartra/applications', { affiliate_id: pending.json().id, terms_version: 'v1' });
    const res = await t.call('GET', `/api/v1/affiliates/${pending.json().id}/materials?program=kartra`);
    expect(res.statusCode).toBe(409);
  });
});

describe('console read models', () => {
  it('searches affiliates by username, email or name, with their enrolments', async () => {
    const res = await t.call('GET', '/api/v1/console/affiliates?q=JANE');
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([expect.objectContaining({ id: jane.id, username: 'jane_doe', enrolments: [expect.objectContaining({ program: 'kartra', status: 'approved' })] })]);
    const wildcard = await t.call('GET', '/api/v1/console/affiliates?q=%25');
    expect(wildcard.json().data).toEqual([]); // "%" is a character, not a wildcard
  });

  it('lists the queue with each applicant’s name and email', async () => {
    const res = await t.call('GET', '/api/v1/console/applications?program=kartra&status=approved');
    expect(res.statusCode).toBe(200);
    expect(res.json().data.map((a: { affiliate: { username: string } }) => a.affiliate.username)).toEqual(expect.arrayContaining(['jane_doe', 'selfie_sam']));
  });

  it('groups self-referrals per affiliate and marks repeat offenders; lists customers with who they are credited to', async () => {
    const click = await s.click(self.code);
    await s.pay({ id: 'pay_self_1', sub: 'sub_self_1', customer: 'cus_sam', amount: 9900, click: click.clickId });
    await s.pay({ id: 'pay_self_2', sub: 'sub_self_2', customer: 'cus_sam', amount: 9900, code: self.code });
    const janeClick = await s.click(jane.code);
    await s.pay({ id: 'pay_j1', sub: 'sub_j1', customer: 'cus_real', amount: 9900, click: janeClick.clickId, email: 'buyer@real.test' });
    const fraud = await t.call('GET', '/api/v1/console/fraud?program=kartra');
    expect(fraud.statusCode, fraud.body).toBe(200);
    expect(fraud.json().data).toEqual([
      expect.objectContaining({ affiliate: expect.objectContaining({ id: self.id }), flags: 2, repeat_offender: true, enrolment: expect.objectContaining({ status: 'approved' }) }),
    ]);
    const customers = await t.call('GET', '/api/v1/console/customers?program=kartra&q=real.test');
    expect(customers.statusCode, customers.body).toBe(200);
    expect(customers.json().data).toEqual([
      expect.objectContaining({
        customer_id: 'cus_real',
        subscriptions: [expect.objectContaining({ id: 'sub_j1', affiliate: { id: jane.id, username: 'jane_doe' }, reassignable_until: '2027-01-31T00:00:00.000Z' })],
      }),
    ]);
  });

  it('shows an affiliate their own statistics per day and per link (R9.3)', async () => {
    const res = await t.call('GET', `/api/v1/affiliates/${jane.id}/stats?program=kartra&days=7`);
    expect(res.statusCode, res.body).toBe(200);
    const stats = res.json();
    expect(stats.daily).toHaveLength(7);
    expect(stats.totals).toMatchObject({ clicks: 1, sales: 1, revenue: 9900, conversion_rate_bps: 10000 });
    expect(stats.links.find((l: { kind: string }) => l.kind === 'main')).toMatchObject({ code: jane.code, clicks: 1, sales: 1 });
  });
});

describe('serving the web UI', () => {
  let root: string;
  let web: Api;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'affable-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>portal</title>');
    writeFileSync(join(root, 'admin.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(root, 'assets', 'app-abc123.js'), 'console.log(1)');
    web = Fastify() as unknown as Api;
    webRoutes(web, { root: join(root, '/') });
    await web.ready();
  });
  afterAll(async () => {
    await web.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the portal at / and for deep links, the console at /admin and below', async () => {
    for (const [url, title] of [['/', 'portal'], ['/p/kartra/links', 'portal'], ['/reset', 'portal'], ['/admin', 'console'], ['/admin/payouts/run_1', 'console']] as const) {
      const res = await web.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain(`<title>${title}</title>`);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('caches hashed assets for a year and refuses to leave the web root', async () => {
    const asset = await web.inject({ method: 'GET', url: '/assets/app-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    for (const url of ['/assets/missing.js', '/assets/..%2f..%2fetc%2fpasswd.txt', '/..%2fpackage.json', '/admin/..%2f..%2fpackage.json']) {
      expect((await web.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it('says how to build the UI when it is missing (503), and keeps /api/ 404s as API answers', async () => {
    const empty = Fastify() as unknown as Api;
    webRoutes(empty, { root: join(root, 'nowhere/') });
    const res = await empty.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:web');
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.json().code).toBe('route_not_found');
    await empty.close();
  });
});
