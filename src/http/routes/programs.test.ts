// Proves the Programs and Test clocks endpoints of api.md, what they refuse, and that a refusal writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, makeTestApp, type TestApp } from '../../../test/support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => {
  await t.close();
});

const program = (over: Record<string, unknown> = {}) => ({
  slug: 'acme',
  name: 'Acme',
  currency: 'usd',
  landing_url: 'https://acme.example/start',
  ...over,
});

describe('test clocks', () => {
  it('creates a clock and moves it forward only (api.md Clocks)', async () => {
    const created = await t.call('POST', '/api/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' });
    expect(created.statusCode).toBe(201);
    const clock = created.json();
    expect(clock.frozen_time).toBe('2027-01-01T00:00:00.000Z');
    const forward = await t.call('POST', `/api/v1/test_clocks/${clock.id}/advance`, { frozen_time: '2027-02-01T00:00:00Z' });
    expect(forward.statusCode).toBe(200);
    expect(forward.json().frozen_time).toBe('2027-02-01T00:00:00.000Z');
    const backward = await t.call('POST', `/api/v1/test_clocks/${clock.id}/advance`, { frozen_time: '2027-01-15T00:00:00Z' });
    expect(backward.statusCode).toBe(400);
    expect(backward.headers['content-type']).toContain('application/problem+json');
    expect(backward.json().code).toBe('clock_backwards');
    const read = await t.call('GET', `/api/v1/test_clocks/${clock.id}`);
    expect(read.json().frozen_time).toBe('2027-02-01T00:00:00.000Z');
  });

  it('refuses a malformed instant with a field error', async () => {
    const res = await t.call('POST', '/api/v1/test_clocks', { frozen_time: 'next tuesday' });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors[0].field).toBe('frozen_time');
  });

  it('answers 404 for an unknown clock', async () => {
    const res = await t.call('POST', '/api/v1/test_clocks/clock_nope/advance', { frozen_time: '2030-01-01T00:00:00Z' });
    expect(res.statusCode).toBe(404);
  });
});

describe('programs', () => {
  it('creates a program with the defaults of api.md and reads it back', async () => {
    const res = await t.call('POST', '/api/v1/programs', program());
    expect(res.statusCode).toBe(201);
    const p = res.json();
    expect(p).toMatchObject({ slug: 'acme', currency: 'usd', cookie_days: 30, hold_days: 45, refund_days: 30, jv_rate_bps: 1000, plan: 'default' });
    expect(p.tiers.map((x: { key: string }) => x.key)).toEqual(['referral', 'tier_1', 'tier_2', 'tier_3']);
    const read = await t.call('GET', '/api/v1/programs/acme');
    expect(read.statusCode).toBe(200);
    expect(read.json().id).toBe(p.id);
  });

  it('uses the bound test clock as the program’s now', async () => {
    const clock = (await t.call('POST', '/api/v1/test_clocks', { frozen_time: '2030-06-01T12:00:00Z' })).json();
    const res = await t.call('POST', '/api/v1/programs', program({ slug: 'clocked', test_clock: clock.id }));
    expect(res.statusCode).toBe(201);
    expect(res.json().now).toBe('2030-06-01T12:00:00.000Z');
    await t.call('POST', `/api/v1/test_clocks/${clock.id}/advance`, { frozen_time: '2030-07-01T00:00:00Z' });
    expect((await t.call('GET', '/api/v1/programs/clocked')).json().now).toBe('2030-07-01T00:00:00.000Z');
  });

  it('answers 409 for a taken slug and 404 for an unknown one', async () => {
    await t.call('POST', '/api/v1/programs', program({ slug: 'dup' }));
    const again = await t.call('POST', '/api/v1/programs', program({ slug: 'dup' }));
    expect(again.statusCode).toBe(409);
    expect((await t.call('GET', '/api/v1/programs/nowhere')).statusCode).toBe(404);
  });

  it.each([
    ['a rate under 10% (R1.4)', { plan: { tiers: [{ key: 'only', name: 'Only', min_customers: 0, revenue_above: null, rates: { month: { first_bps: 500, recurring_bps: 500 }, year: { first_bps: 2000, recurring_bps: 2000 } } }] } }],
    ['a JV rate over 100%', { jv_rate_bps: 12000 }],
    ['a hold shorter than the refund window', { hold_days: 10, refund_days: 30 }],
    ['a plan whose first tier is not reachable at start', { plan: { tiers: [{ key: 'x', name: 'X', min_customers: 3, revenue_above: null, rates: { month: { first_bps: 2000, recurring_bps: 2000 }, year: { first_bps: 2000, recurring_bps: 2000 } } }] } }],
    ['a wrong type', { cookie_days: 'thirty' }],
    ['a missing field', { name: undefined }],
    ['a bad currency', { currency: 'dollars' }],
    ['a landing URL that is not http', { landing_url: 'javascript:alert(1)' }],
    ['an unknown test clock', { test_clock: 'clock_unknown' }],
  ])('refuses %s with 422 problem+json and writes nothing', async (_label, over) => {
    const before = await countRows(t.database, 'programs');
    const res = await t.call('POST', '/api/v1/programs', program({ slug: 'refused', ...over }));
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body).toMatchObject({ status: 422, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
    expect(await countRows(t.database, 'programs')).toBe(before);
  });

  it('accepts a consistent custom plan and reports it as custom', async () => {
    const rates = (b: number) => ({ month: { first_bps: b, recurring_bps: b }, year: { first_bps: b, recurring_bps: b } });
    const res = await t.call('POST', '/api/v1/programs', program({
      slug: 'custom',
      plan: { tiers: [
        { key: 'base', name: 'Base', min_customers: 0, revenue_above: null, rates: rates(1500) },
        { key: 'gold', name: 'Gold', min_customers: 5, revenue_above: 500000, rates: rates(3500) },
      ] },
    }));
    expect(res.statusCode).toBe(201);
    expect(res.json().plan).toBe('custom');
    expect(res.json().tiers[1]).toMatchObject({ key: 'gold', min_customers: 5, revenue_above: 500000 });
  });

  it('updates settings, keeps absent fields, and refuses an inconsistent change', async () => {
    await t.call('POST', '/api/v1/programs', program({ slug: 'patchme', cookie_days: 60 }));
    const ok = await t.call('PATCH', '/api/v1/programs/patchme', { name: 'Patched' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ name: 'Patched', cookie_days: 60 });
    const bad = await t.call('PATCH', '/api/v1/programs/patchme', { hold_days: 5 });
    expect(bad.statusCode).toBe(422);
    expect((await t.call('GET', '/api/v1/programs/patchme')).json().hold_days).toBe(45);
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await t.call('POST', '/api/v1/programs', '{"slug": ');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});

describe('authentication', () => {
  it('refuses a request without a key, and one with a wrong key, writing nothing', async () => {
    const before = await countRows(t.database, 'programs');
    const none = await t.app.inject({ method: 'POST', url: '/api/v1/programs', payload: program({ slug: 'nokey' }) });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('api_key_missing');
    const wrong = await t.app.inject({ method: 'GET', url: '/api/v1/programs/acme', headers: { authorization: 'Bearer afk_wrong' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('api_key_invalid');
    expect(await countRows(t.database, 'programs')).toBe(before);
  });
});

describe('idempotency keys', () => {
  it('returns the first answer for the same key and body, and 422 for another body', async () => {
    const headers = { 'idempotency-key': 'create-idem-1' };
    const first = await t.call('POST', '/api/v1/programs', program({ slug: 'idem' }), headers);
    expect(first.statusCode).toBe(201);
    const again = await t.call('POST', '/api/v1/programs', program({ slug: 'idem' }), headers);
    expect(again.statusCode).toBe(201);
    expect(again.json().id).toBe(first.json().id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await t.call('POST', '/api/v1/programs', program({ slug: 'idem-other' }), headers);
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_key_reused');
    expect((await t.call('GET', '/api/v1/programs/idem-other')).statusCode).toBe(404);
  });

  it('creates once when the same key races', async () => {
    const headers = { 'idempotency-key': 'race-1' };
    const before = await countRows(t.database, 'test_clocks');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => t.call('POST', '/api/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' }, headers)),
    );
    expect(await countRows(t.database, 'test_clocks')).toBe(before + 1);
    const ids = new Set(results.filter((r) => r.statusCode === 201).map((r) => r.json().id));
    expect(ids.size).toBe(1);
    for (const r of results) expect([201, 409]).toContain(r.statusCode);
  });
});

describe('service endpoints', () => {
  it('serves health, readiness, OpenAPI 3.1 and its reference page without a key', async () => {
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const spec = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/programs', '/api/v1/affiliates', '/api/v1/test_clocks/{id}/advance']));
    const docs = await t.app.inject({ url: '/api/v1/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('echoes a request id', async () => {
    const res = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'req-abc' } });
    expect(res.headers['x-request-id']).toBe('req-abc');
  });
});
