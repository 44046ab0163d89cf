// Builders for end-to-end scenarios over HTTP: a program on a test clock, approved affiliates,
// clicks through the real redirect, billing events. Each step asserts the API accepted it.
import { expect } from 'vitest';
import type { TestApp } from './app.js';

export interface Scenario {
  t: TestApp;
  program: string;
  clockId: string;
  setTime(iso: string): Promise<void>;
  affiliate(username: string, extra?: Record<string, unknown>): Promise<{ id: string; code: string; jv: string }>;
  click(code: string, userAgent?: string): Promise<{ clickId: string | null; status: number; location: string; cookie: string | undefined }>;
  event(body: Record<string, unknown>): Promise<{ status: number; body: any }>;
  pay(opts: { id: string; sub: string; customer: string; amount: number; at?: string; click?: string | null; code?: string; interval?: 'month' | 'year'; fullPrice?: boolean; email?: string; fingerprint?: string }): Promise<any>;
  balance(affiliateId: string): Promise<{ reserve: number; due: number; paid: number }>;
  tier(affiliateId: string): Promise<any>;
  commissions(affiliateId: string): Promise<any[]>;
}

export async function scenario(t: TestApp, options: { slug?: string; start?: string; program?: Record<string, unknown> } = {}): Promise<Scenario> {
  const slug = options.slug ?? 'kartra';
  const clockRes = await t.call('POST', '/api/v1/test_clocks', { frozen_time: options.start ?? '2027-01-01T00:00:00Z' });
  expect(clockRes.statusCode).toBe(201);
  const clockId = clockRes.json().id as string;
  const prog = await t.call('POST', '/api/v1/programs', { slug, name: slug, currency: 'usd', landing_url: 'https://merchant.example/start?utm=x', test_clock: clockId, ...options.program });
  expect(prog.statusCode, prog.body).toBe(201);

  const s: Scenario = {
    t,
    program: slug,
    clockId,
    async setTime(iso) {
      const res = await t.call('POST', `/api/v1/test_clocks/${clockId}/advance`, { frozen_time: iso });
      expect(res.statusCode, res.body).toBe(200);
    },
    async affiliate(username, extra = {}) {
      const a = await t.call('POST', '/api/v1/affiliates', { email: `${username}@aff.test`, username, name: username, ...extra });
      expect(a.statusCode, a.body).toBe(201);
      const id = a.json().id as string;
      const app = await t.call('POST', `/api/v1/programs/${slug}/applications`, { affiliate_id: id, terms_version: 'v1' });
      expect(app.statusCode, app.body).toBe(201);
      const ok = await t.call('POST', `/api/v1/applications/${app.json().id}/approve`);
      expect(ok.statusCode, ok.body).toBe(200);
      const links = await t.call('GET', `/api/v1/affiliates/${id}/links?program=${slug}`);
      expect(links.statusCode, links.body).toBe(200);
      return { id, code: links.json().main.code, jv: links.json().jv.code };
    },
    async click(code, userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36') {
      const res = await t.app.inject({ method: 'GET', url: `/r/${code}`, headers: { 'user-agent': userAgent } });
      const location = String(res.headers.location ?? '');
      const clickId = location ? new URL(location).searchParams.get('aff_click') : null;
      const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('aff_click='));
      return { clickId, status: res.statusCode, location, cookie };
    },
    async event(body) {
      const res = await t.call('POST', '/api/v1/events', { program: slug, ...body });
      return { status: res.statusCode, body: res.json() };
    },
    async pay(o) {
      const res = await s.event({
        id: `evt_${o.id}`,
        type: 'payment.succeeded',
        ...(o.at ? { occurred_at: o.at } : {}),
        customer: { id: o.customer, email: o.email ?? `${o.customer}@cust.test` },
        subscription: { id: o.sub, interval: o.interval ?? 'month' },
        payment: { id: o.id, amount: o.amount, currency: 'usd', full_price: o.fullPrice ?? true, ...(o.fingerprint ? { fingerprint: o.fingerprint } : {}) },
        ...(o.click ? { click_id: o.click } : {}),
        ...(o.code ? { referral_code: o.code } : {}),
      });
      expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
      return res.body;
    },
    async balance(affiliateId) {
      const res = await t.call('GET', `/api/v1/affiliates/${affiliateId}/balance?program=${slug}`);
      expect(res.statusCode, res.body).toBe(200);
      const b = res.json();
      return { reserve: b.reserve, due: b.due, paid: b.paid };
    },
    async tier(affiliateId) {
      const res = await t.call('GET', `/api/v1/affiliates/${affiliateId}/tier?program=${slug}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    },
    async commissions(affiliateId) {
      const res = await t.call('GET', `/api/v1/commissions?program=${slug}&affiliate_id=${affiliateId}&limit=100`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().data;
    },
  };
  return s;
}
