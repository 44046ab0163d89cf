// Proves links, the redirect and clicks end to end over HTTP (api.md "Clicks", R2, R9.1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, makeTestApp, TEST_PUBLIC_URL, type TestApp } from '../../../test/support/app.js';
import { scenario, type Scenario } from '../../../test/support/scenario.js';
import { fastifyCookie } from '@fastify/cookie';
import { landingTarget } from './tracking.js';

let t: TestApp;
let s: Scenario;
beforeAll(async () => {
  t = await makeTestApp();
  s = await scenario(t, { start: '2027-01-03T10:00:00Z' });
});
afterAll(async () => {
  await t.close();
});

describe('links (R9.1)', () => {
  it('gives an approved affiliate a main and a JV link, stable across reads, and none to a pending one (409)', async () => {
    const a = await s.affiliate('linker');
    const again = (await t.call('GET', `/api/v1/affiliates/${a.id}/links?program=kartra`)).json();
    expect(again.main.code).toBe(a.code);
    expect(again.main.url).toBe(`${TEST_PUBLIC_URL}/r/${a.code}`);
    expect(a.code).toMatch(/^[0-9a-z]{10}$/);
    expect(a.jv).not.toBe(a.code);
    const pending = (await t.call('POST', '/api/v1/affiliates', { email: 'p@aff.test', username: 'pendingone', name: 'P' })).json();
    await t.call('POST', '/api/v1/programs/kartra/applications', { affiliate_id: pending.id, terms_version: 'v1' });
    const refused = await t.call('GET', `/api/v1/affiliates/${pending.id}/links?program=kartra`);
    expect(refused.statusCode).toBe(409);
    expect((await t.call('POST', `/api/v1/affiliates/${pending.id}/tracking_links`, { program: 'kartra', name: 'blog' })).statusCode).toBe(409);
  });

  it('creates named tracking links with their own click and sale counts', async () => {
    const a = await s.affiliate('tracker1');
    const blog = await t.call('POST', `/api/v1/affiliates/${a.id}/tracking_links`, { program: 'kartra', name: 'blog' });
    expect(blog.statusCode).toBe(201);
    expect((await t.call('POST', `/api/v1/affiliates/${a.id}/tracking_links`, { program: 'kartra', name: 'BLOG' })).statusCode).toBe(409);
    const fb = (await t.call('POST', `/api/v1/affiliates/${a.id}/tracking_links`, { program: 'kartra', name: 'facebook' })).json();
    const c1 = await s.click(blog.json().code);
    await s.click(blog.json().code);
    await s.click(fb.code);
    await s.pay({ id: 'pay_tl_1', sub: 'sub_tl_1', customer: 'cus_tl_1', amount: 9900, click: c1.clickId });
    const links = (await t.call('GET', `/api/v1/affiliates/${a.id}/links?program=kartra`)).json();
    const byName = Object.fromEntries(links.tracking.map((l: { name: string }) => [l.name, l]));
    expect(byName.blog).toMatchObject({ clicks: 2, sales: 1 });
    expect(byName.facebook).toMatchObject({ clicks: 1, sales: 0 });
    expect(links.main).toMatchObject({ clicks: 0, sales: 0 });
    // R9.1: a sale through the main link counts on the main link.
    await s.pay({ id: 'pay_tl_main', sub: 'sub_tl_main', customer: 'cus_tl_main', amount: 9900, code: a.code });
    expect((await t.call('GET', `/api/v1/affiliates/${a.id}/links?program=kartra`)).json().main).toMatchObject({ sales: 1 });
  });
});

describe('the redirect (R2.1, R2.3)', () => {
  it('answers 302 to the landing URL with aff_click and the 30-day cookie, and records the click', async () => {
    const a = await s.affiliate('clicker');
    const before = await countRows(t.database, 'clicks');
    const c = await s.click(a.code);
    expect(c.status).toBe(302);
    const url = new URL(c.location);
    expect(url.origin + url.pathname).toBe('https://merchant.example/start');
    expect(url.searchParams.get('utm')).toBe('x');
    expect(c.clickId).toMatch(/^clk_/);
    expect(c.location).toBe(`https://merchant.example/start?utm=x&aff_click=${c.clickId}`);
    expect(c.cookie).toBe(`aff_click=${c.clickId}; Max-Age=${30 * 86400}; Path=/; HttpOnly; SameSite=Lax`);
    // The route writes the header itself; it is what reply.setCookie would have sent.
    expect(c.cookie).toBe(fastifyCookie.serialize('aff_click', c.clickId!, { maxAge: 30 * 86400, httpOnly: true, sameSite: 'lax', path: '/' }));
    expect(await countRows(t.database, 'clicks')).toBe(before + 1);
  });

  it.each([
    'https://merchant.example/start?utm=x',
    'https://merchant.example',
    'https://Merchant.Example:443/a%20b/?q=a+b&r=%2F&s=caf%C3%A9#top',
    'https://merchant.example/x?aff_click=old&y=1&aff_click=older',
    'https://merchant.example/?#aff_click=x',
    'https://bücher.example/seite?x=y z',
  ])('puts the click id in %s as URLSearchParams.set would', (landingUrl) => {
    const expected = new URL(landingUrl);
    expected.searchParams.set('aff_click', 'clk_0123456789abcdefghij');
    expect(landingTarget(landingUrl).withClick('clk_0123456789abcdefghij')).toBe(expected.toString());
    expect(landingTarget(landingUrl).plain).toBe(new URL(landingUrl).toString());
  });

  it('records bots and prefetchers as such, with no cookie and no credit', async () => {
    const a = await s.affiliate('botbait');
    const bot = await s.click(a.code, 'Googlebot/2.1 (+http://www.google.com/bot.html)');
    expect(bot.status).toBe(302);
    expect(bot.clickId).toBeNull();
    expect(bot.cookie).toBeUndefined();
    const prefetch = await t.app.inject({ method: 'GET', url: `/r/${a.code}`, headers: { 'user-agent': 'Mozilla/5.0 Chrome/126', 'sec-purpose': 'prefetch' } });
    expect(new URL(String(prefetch.headers.location)).searchParams.get('aff_click')).toBeNull();
    const rows = await t.database.transaction(async (tx) => {
      const { clicks } = await import('../../store/schema.js');
      const { eq } = await import('drizzle-orm');
      return tx.select().from(clicks).where(eq(clicks.affiliateId, a.id));
    });
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.isBot && !r.credited)).toBe(true);
  });

  it('redirects a dismissed affiliate’s link without credit (R1.2)', async () => {
    const a = await s.affiliate('dismissme');
    const apps = (await t.call('GET', '/api/v1/programs/kartra/applications?status=approved&limit=100')).json();
    const application = apps.data.find((x: { affiliate_id: string }) => x.affiliate_id === a.id);
    await t.call('POST', `/api/v1/applications/${application.id}/dismiss`, { reason: 'fraud' });
    const c = await s.click(a.code);
    expect(c.status).toBe(302);
    expect(c.clickId).toBeNull();
  });

  it('sends a JV link to the portal sign-up with the recruiter recorded, and 404s an unknown code', async () => {
    const a = await s.affiliate('recruiter1');
    const jv = await t.app.inject({ method: 'GET', url: `/r/${a.jv}` });
    expect(jv.statusCode).toBe(302);
    expect(jv.headers.location).toBe(`${TEST_PUBLIC_URL}/signup?program=kartra&jv=${a.jv}`);
    for (const code of ['nosuchcode', 'x'.repeat(65), 'NoSuchCode', 'a%20b']) {
      const unknown = await t.app.inject({ method: 'GET', url: `/r/${code}` });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.headers['content-type']).toContain('text/html');
    }
  });

  it('stamps clicks with the program’s test clock', async () => {
    const a = await s.affiliate('clocked');
    const c = await s.click(a.code);
    const row = await t.database.transaction(async (tx) => {
      const { clicks } = await import('../../store/schema.js');
      const { eq } = await import('drizzle-orm');
      return (await tx.select().from(clicks).where(eq(clicks.id, c.clickId!)))[0]!;
    });
    expect(row.clickedAt.toISOString()).toBe('2027-01-03T10:00:00.000Z');
  });

  it('serves the tracker script and records a click for ?ref=<code>', async () => {
    const js = await t.app.inject({ method: 'GET', url: '/js/affable.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    const a = await s.affiliate('refcoder');
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/track/click?code=${a.code}&program=kartra`, headers: { 'user-agent': 'Mozilla/5.0 Chrome/126' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.json().click_id).toMatch(/^clk_/);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/track/click?code=zzzz' })).statusCode).toBe(404);
  });

  it('commits every click of a concurrent burst before answering', async () => {
    const a = await s.affiliate('burst');
    const results = await Promise.all(Array.from({ length: 50 }, () => s.click(a.code)));
    const ids = results.map((r) => r.clickId);
    expect(new Set(ids).size).toBe(50);
    const stored = await t.database.transaction(async (tx) => {
      const { clicks } = await import('../../store/schema.js');
      const { eq } = await import('drizzle-orm');
      return tx.select({ id: clicks.id }).from(clicks).where(eq(clicks.affiliateId, a.id));
    });
    expect(new Set(stored.map((r) => r.id))).toEqual(new Set(ids));
  });
});

describe('the redirect’s place in the server', () => {
  it('runs only the body-limit and x-request-id hooks, none of the API’s (cookies, sessions, keys, idempotency)', () => {
    // A hook is work on every click; server.ts keeps the redirect outside the API's scope.
    const lines = t.app.printRoutes({ includeHooks: true, commonPrefix: false, method: 'GET' }).split('\n');
    const at = lines.findIndex((line) => line.includes('r/:code (GET)'));
    const hooks = lines.slice(at + 1, lines.findIndex((line, i) => i > at && !line.includes('•')));
    expect(hooks.map((line) => line.replace(/^[│\s]*• /, ''))).toEqual(['(onRequest) ["anonymous()"]', '(onSend) ["anonymous()"]']);
    const events = lines.findIndex((line) => line.includes('api/v1/session (GET)'));
    expect(lines[events + 1]).toContain('fastifyCookieHandler()');
  });
});
