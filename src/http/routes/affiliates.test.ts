// Proves the Affiliates and Applications endpoints of api.md (R1.1–R1.2, R10.1), including
// what they refuse and that refusing wrote nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, makeTestApp, type TestApp } from '../../../test/support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
  await t.call('POST', '/api/v1/programs', { slug: 'kartra', name: 'Kartra', currency: 'usd', landing_url: 'https://k.example/' });
  await t.call('POST', '/api/v1/programs', { slug: 'webinarjam', name: 'WebinarJam', currency: 'usd', landing_url: 'https://w.example/' });
});
afterAll(async () => {
  await t.close();
});

let n = 0;
const newAffiliate = async (over: Record<string, unknown> = {}) => {
  n += 1;
  const res = await t.call('POST', '/api/v1/affiliates', { email: `a${n}@example.com`, username: `user${n}`, name: `User ${n}`, ...over });
  return res;
};

describe('affiliates (R10.1)', () => {
  it('creates an affiliate, hashes the password with argon2id, and reads it back', async () => {
    const res = await newAffiliate({ password: 'correct horse battery' });
    expect(res.statusCode).toBe(201);
    const a = res.json();
    expect(a).toMatchObject({ username: `user${n}`, enrolments: [], payout_account: null, tax_form: null });
    expect(a).not.toHaveProperty('password');
    expect(a).not.toHaveProperty('password_hash');
    const stored = await t.database.transaction(async (tx) => {
      const { affiliates } = await import('../../store/schema.js');
      const { eq } = await import('drizzle-orm');
      return (await tx.select().from(affiliates).where(eq(affiliates.id, a.id)))[0]!;
    });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    const read = await t.call('GET', `/api/v1/affiliates/${a.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().id).toBe(a.id);
  });

  it('records the recruiter by username (R6)', async () => {
    const recruiter = (await newAffiliate()).json();
    const recruit = await newAffiliate({ recruited_by: recruiter.username.toUpperCase() });
    expect(recruit.statusCode).toBe(201);
    expect(recruit.json().recruited_by).toBe(recruiter.username);
  });

  it.each([
    ['the brand anywhere in it', 'MyKartraShop', 'username_reserved'],
    ['a misleading word in another case', 'SecureDeals', 'username_reserved'],
    ['"admin" inside it', 'theadminguy', 'username_reserved'],
  ])('refuses a username with %s (422) and writes nothing', async (_l, username, code) => {
    const before = await countRows(t.database, 'affiliates');
    const res = await newAffiliate({ username });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe(code);
    expect(res.json().errors[0].field).toBe('username');
    expect(await countRows(t.database, 'affiliates')).toBe(before);
  });

  it('answers 409 for a username taken in another case, and for a taken email after normalising', async () => {
    await newAffiliate({ username: 'JaneDoe', email: 'jane@example.com' });
    const before = await countRows(t.database, 'affiliates');
    const sameName = await newAffiliate({ username: 'janedoe' });
    expect(sameName.statusCode).toBe(409);
    expect(sameName.json().code).toBe('username_taken');
    const sameEmail = await newAffiliate({ email: '  JANE@example.com ' });
    expect(sameEmail.statusCode).toBe(409);
    expect(sameEmail.json().code).toBe('email_taken');
    // R4.5/R10.1: a +alias is a different address.
    expect((await newAffiliate({ email: 'jane+aff@example.com' })).statusCode).toBe(201);
    expect(await countRows(t.database, 'affiliates')).toBe(before + 1);
  });

  it.each([
    ['no email', { email: undefined }],
    ['a malformed email', { email: 'not-an-email' }],
    ['a number for a name', { name: 42 }],
    ['an unknown recruiter', { recruited_by: 'nobody_here' }],
    ['a short password', { password: 'short' }],
  ])('refuses %s with 422', async (_l, over) => {
    const before = await countRows(t.database, 'affiliates');
    const res = await newAffiliate(over);
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.length).toBeGreaterThan(0);
    expect(await countRows(t.database, 'affiliates')).toBe(before);
  });

  it('answers 404 for an unknown affiliate', async () => {
    expect((await t.call('GET', '/api/v1/affiliates/aff_nope')).statusCode).toBe(404);
  });
});

describe('applications (R1.1–R1.2)', () => {
  const apply = (slug: string, affiliateId: string, over: Record<string, unknown> = {}) =>
    t.call('POST', `/api/v1/programs/${slug}/applications`, { affiliate_id: affiliateId, terms_version: '2027-01', website: 'https://blog.example', social_links: ['https://x.example/me'], answer: 'I write about funnels.', ...over });

  it('goes pending → approved, shows the enrolment, and grants nothing in another program (R1.1)', async () => {
    const a = (await newAffiliate()).json();
    const res = await apply('kartra', a.id);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'pending', terms_version: '2027-01', social_links: ['https://x.example/me'] });
    const approved = await t.call('POST', `/api/v1/applications/${res.json().id}/approve`);
    expect(approved.statusCode).toBe(200);
    expect(approved.json().status).toBe('approved');
    const view = (await t.call('GET', `/api/v1/affiliates/${a.id}`)).json();
    expect(view.enrolments).toEqual([expect.objectContaining({ program: 'kartra', status: 'approved' })]);
    const other = await apply('webinarjam', a.id);
    expect(other.json().status).toBe('pending');
  });

  it('refuses a second application while one is pending, approved or dismissed; allows reapplying after denial', async () => {
    const a = (await newAffiliate()).json();
    const first = (await apply('kartra', a.id)).json();
    expect((await apply('kartra', a.id)).statusCode).toBe(409);
    const denied = await t.call('POST', `/api/v1/applications/${first.id}/deny`, { reason: 'No website yet' });
    expect(denied.json()).toMatchObject({ status: 'denied', reason: 'No website yet' });
    const second = await apply('kartra', a.id);
    expect(second.statusCode).toBe(201);
    await t.call('POST', `/api/v1/applications/${second.json().id}/approve`);
    expect((await apply('kartra', a.id)).statusCode).toBe(409);
    const dismissed = await t.call('POST', `/api/v1/applications/${second.json().id}/dismiss`, { reason: 'Self-referrals' });
    expect(dismissed.json()).toMatchObject({ status: 'dismissed', reason: 'Self-referrals' });
    expect((await apply('kartra', a.id)).statusCode).toBe(409);
  });

  it('refuses transitions from the wrong state (409) and a deny without a reason (422)', async () => {
    const a = (await newAffiliate()).json();
    const app = (await apply('kartra', a.id)).json();
    expect((await t.call('POST', `/api/v1/applications/${app.id}/dismiss`, { reason: 'x' })).statusCode).toBe(409);
    expect((await t.call('POST', `/api/v1/applications/${app.id}/deny`, {})).statusCode).toBe(422);
    await t.call('POST', `/api/v1/applications/${app.id}/approve`);
    expect((await t.call('POST', `/api/v1/applications/${app.id}/approve`)).statusCode).toBe(409);
    expect((await t.call('POST', '/api/v1/applications/appl_nope/approve')).statusCode).toBe(404);
  });

  it('refuses an unknown program (404) and an unknown affiliate (422), writing nothing', async () => {
    const before = await countRows(t.database, 'applications');
    const a = (await newAffiliate()).json();
    expect((await apply('nowhere', a.id)).statusCode).toBe(404);
    expect((await apply('kartra', 'aff_unknown')).statusCode).toBe(422);
    expect((await apply('kartra', a.id, { website: 'not a url' })).statusCode).toBe(422);
    expect(await countRows(t.database, 'applications')).toBe(before);
  });

  it('lists a program’s applications with cursor pagination and a status filter', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const a = (await newAffiliate()).json();
      ids.push((await apply('webinarjam', a.id)).json().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.call('GET', `/api/v1/programs/webinarjam/applications?limit=2&status=pending${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.data.length).toBeLessThanOrEqual(2);
      seen.push(...body.data.map((x: { id: string }) => x.id));
      cursor = body.next_cursor;
      expect(body.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
    expect((await t.call('GET', '/api/v1/programs/webinarjam/applications?limit=500')).statusCode).toBe(422);
    expect((await t.call('GET', '/api/v1/programs/webinarjam/applications?cursor=garbage')).statusCode).toBe(400);
  });
});
