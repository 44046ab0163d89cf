// Proves the portal's accounts (R10): sign-up with R10.1 usernames, login by email or username,
// cookie sessions with CSRF, the R10.3 throttle, the R10.2 one-time expiring reset link, and
// email/password changes that need the security answer; and that refusing changed nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { countRows, makeTestApp, type TestApp } from '../../../test/support/app.js';
import { logIn, PASSWORD, signUpAffiliate } from '../../../test/support/sessions.js';
import { affiliates, admins, mailOutbox, sessions } from '../../store/schema.js';
import { hashPassword } from '../../app/hashing.js';
import { RESETS_PER_HOUR } from '../../app/accounts.js';
import { newId } from '../../store/ids.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
  const res = await t.call('POST', '/api/v1/programs', {
    slug: 'kartra',
    name: 'Kartra',
    currency: 'usd',
    landing_url: 'https://k.example/',
    terms_version: '2027-01',
    terms_text: 'Be nice.',
  });
  expect(res.statusCode, res.body).toBe(201);
  await t.database.transaction(async (tx) =>
    tx.insert(admins).values({ id: newId('adm'), email: 'boss@merchant.test', name: 'Boss', passwordHash: await hashPassword('admin password 1'), createdAt: t.clock.now() }),
  );
});
afterAll(async () => {
  await t.close();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('sign-up (R10.1)', () => {
  it('creates the affiliate, signs them in with an HttpOnly SameSite=Lax cookie, and stores only hashes', async () => {
    const res = await post('/api/v1/portal/signup', {
      email: ' Nova@Example.com ',
      username: 'NovaDeals',
      name: 'Nova',
      password: PASSWORD,
      security_question: 'First pet?',
      security_answer: ' Rex ',
    });
    expect(res.statusCode, res.body).toBe(201);
    const cookie = String(([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]);
    expect(cookie).toMatch(/^affable_session=\w+;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/); // the test server is http
    const body = res.json();
    expect(body).toMatchObject({ kind: 'affiliate', affiliate: { username: 'NovaDeals', email: 'nova@example.com' }, security_question: 'First pet?' });
    expect(body.csrf_token).toMatch(/^\w{32}$/);
    const token = cookie.split(';')[0]!.split('=')[1]!;
    const stored = await t.database.transaction((tx) => tx.select().from(sessions));
    expect(JSON.stringify(stored)).not.toContain(token);
    // The session reads back with the same CSRF token.
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: cookie.split(';')[0]! } });
    expect(me.statusCode).toBe(200);
    expect(me.json().csrf_token).toBe(body.csrf_token);
    expect(me.headers['cache-control']).toBe('no-store');
  });

  it.each([
    ['a reserved word', 'TheKartraGuy', 'username_reserved', 422],
    ['a bad shape', 'no spaces please', 'username_invalid', 422],
    ['a taken name in another case', 'novadeals', 'username_taken', 409],
  ])('refuses %s with the API’s field error and writes nothing', async (_label, username, code, status) => {
    const before = await countRows(t.database, 'affiliates');
    const sessionsBefore = await countRows(t.database, 'sessions');
    const res = await post('/api/v1/portal/signup', {
      email: `${Math.random()}@example.com`,
      username,
      name: 'X',
      password: PASSWORD,
      security_question: 'First pet?',
      security_answer: 'Rex',
    });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
    if (status === 422) expect(res.json().errors).toEqual([expect.objectContaining({ field: 'username' })]);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await countRows(t.database, 'affiliates')).toBe(before);
    expect(await countRows(t.database, 'sessions')).toBe(sessionsBefore);
  });

  it('reports every invalid field at once (password, email, security answer)', async () => {
    const res = await post('/api/v1/portal/signup', { email: 'nope', username: 'okname', name: 'X', password: 'short', security_question: 'Q?' });
    expect(res.statusCode).toBe(422);
    const fields = (res.json().errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['email', 'password', 'security_answer']));
  });

  it('checks usernames as one types, with the same rules', async () => {
    const check = async (u: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/portal/username_check?username=${encodeURIComponent(u)}` })).json();
    expect(await check('fresh_name')).toEqual({ username: 'fresh_name', available: true });
    expect(await check('NOVADEALS')).toMatchObject({ available: false, code: 'username_taken' });
    expect(await check('mysupportdesk')).toMatchObject({ available: false, code: 'username_reserved' });
    expect(await check('a')).toMatchObject({ available: false, code: 'username_invalid' });
  });

  it('records the recruiter from a JV code (a username works too); an unknown code recruits nobody', async () => {
    const recruiter = await signUpAffiliate(t);
    const viaName = await signUpAffiliate(t, { jv: recruiter.username.toUpperCase() });
    const me = await viaName.call('GET', '/api/v1/session');
    expect(me.json().affiliate.recruited_by).toBe(recruiter.username);
    const stray = await signUpAffiliate(t, { jv: 'nosuchcode' });
    expect((await stray.call('GET', '/api/v1/session')).json().affiliate.recruited_by).toBeNull();
  });

  it('shows the versioned terms on the public program page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/portal/programs/kartra' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ slug: 'kartra', terms_version: '2027-01', terms_text: 'Be nice.', cookie_days: 30 });
    expect(res.json().tiers.map((x: { key: string }) => x.key)).toEqual(['referral', 'tier_1', 'tier_2', 'tier_3']);
    expect(res.json()).not.toHaveProperty('landing_url');
  });
});

describe('login (R10.1) and sign-out', () => {
  it('logs in with the email or the username, in any case', async () => {
    const a = await signUpAffiliate(t);
    for (const login of [a.email.toUpperCase(), a.username, ` ${a.username.toUpperCase()} `]) {
      const res = await post('/api/v1/session', { login, password: PASSWORD });
      expect(res.statusCode, login).toBe(200);
      expect(res.json().affiliate.id).toBe(a.id);
    }
  });

  it('answers a wrong password and an unknown login alike', async () => {
    const a = await signUpAffiliate(t);
    const wrong = await post('/api/v1/session', { login: a.username, password: 'not the password' });
    const unknown = await post('/api/v1/session', { login: 'nobody_at_all', password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
  });

  it('signs out: the cookie no longer works', async () => {
    const a = await signUpAffiliate(t);
    expect((await a.call('DELETE', '/api/v1/session', undefined, { csrf: false })).statusCode).toBe(403);
    const out = await a.call('DELETE', '/api/v1/session');
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/affable_session=;/);
    expect((await a.call('GET', '/api/v1/session')).statusCode).toBe(401);
    expect((await a.call('GET', `/api/v1/affiliates/${a.id}`)).statusCode).toBe(401);
  });

  it('expires a session at its expiry on the injected clock', async () => {
    const a = await signUpAffiliate(t);
    const expires = new Date((await a.call('GET', '/api/v1/session')).json().expires_at);
    const start = t.clock.now();
    t.clock.set(new Date(expires.getTime() + 1000));
    try {
      expect((await a.call('GET', '/api/v1/session')).statusCode).toBe(401);
    } finally {
      t.clock.set(start);
    }
  });

  it('logs an admin into the console; an affiliate login is not an admin login', async () => {
    const admin = await logIn(t, '/api/v1/console/session', { email: 'BOSS@merchant.test', password: 'admin password 1' });
    const me = (await admin.call('GET', '/api/v1/session')).json();
    expect(me).toMatchObject({ kind: 'admin', admin: { email: 'boss@merchant.test', name: 'Boss' } });
    const a = await signUpAffiliate(t);
    expect((await post('/api/v1/console/session', { email: a.email, password: PASSWORD })).statusCode).toBe(401);
    // An admin session reaches admin routes without an API key.
    expect((await admin.call('GET', '/api/v1/programs/kartra/applications')).statusCode).toBe(200);
  });
});

describe('CSRF', () => {
  it('refuses a state-changing request without the token or with a wrong one (403), and changes nothing', async () => {
    const a = await signUpAffiliate(t);
    const before = await countRows(t.database, 'applications');
    const body = { affiliate_id: a.id, terms_version: '2027-01' };
    const missing = await a.call('POST', '/api/v1/programs/kartra/applications', body, { csrf: false });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().code).toBe('csrf_failed');
    const wrong = await a.call('POST', '/api/v1/programs/kartra/applications', body, { csrf: 'x'.repeat(32) });
    expect(wrong.statusCode).toBe(403);
    const other = await signUpAffiliate(t);
    const someoneElses = await a.call('POST', '/api/v1/programs/kartra/applications', body, { csrf: other.csrf });
    expect(someoneElses.statusCode).toBe(403);
    expect(await countRows(t.database, 'applications')).toBe(before);
    const ok = await a.call('POST', '/api/v1/programs/kartra/applications', body);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await countRows(t.database, 'applications')).toBe(before + 1);
  });

  it('also guards the account routes and the admin console', async () => {
    const a = await signUpAffiliate(t);
    const res = await a.call('POST', '/api/v1/portal/account/email', { email: 'new@example.com', security_answer: 'Rex' }, { csrf: false });
    expect(res.statusCode).toBe(403);
    const row = await t.database.transaction((tx) => tx.select().from(affiliates).where(eq(affiliates.id, a.id)));
    expect(row[0]!.email).toBe(a.email);
    const admin = await logIn(t, '/api/v1/console/session', { email: 'boss@merchant.test', password: 'admin password 1' });
    const keysBefore = await countRows(t.database, 'api_keys');
    expect((await admin.call('POST', '/api/v1/api_keys', { name: 'x' }, { csrf: false })).statusCode).toBe(403);
    expect(await countRows(t.database, 'api_keys')).toBe(keysBefore);
  });

  it('answers unknown routes with a session as problems, never a 500', async () => {
    const a = await signUpAffiliate(t);
    for (const res of [await a.call('POST', '/api/v1/no-such-route', {}), await a.call('POST', '/api/v1/no-such-route', {}, { csrf: false }), await a.call('GET', '/api/v1/no-such-route')]) {
      expect([403, 404]).toContain(res.statusCode);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('exempts API-key requests (no cookie semantics), even when a cookie is present', async () => {
    const a = await signUpAffiliate(t);
    const res = await t.call('POST', '/api/v1/api_keys', { name: 'ci' }, { cookie: a.cookie });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe('lockout (R10.3)', () => {
  it('slows down after 2 failures, locks 15 minutes after 5 (even the right password), then lets in', async () => {
    const a = await signUpAffiliate(t);
    const start = t.clock.now();
    const attempt = (password: string, login = a.username) => post('/api/v1/session', { login, password });
    try {
      expect((await attempt('wrong 1')).statusCode).toBe(401);
      expect((await attempt('wrong 2')).statusCode).toBe(401);
      const third = await attempt('wrong 3');
      expect(third.statusCode).toBe(429);
      expect(third.headers['retry-after']).toBe('10');
      expect(third.json().code).toBe('login_locked');
      // During the pause even the right password waits; the email is the same account.
      expect((await attempt(PASSWORD, a.email)).statusCode).toBe(429);
      t.clock.advance(11_000);
      expect((await attempt('wrong 4')).headers['retry-after']).toBe('20');
      t.clock.advance(21_000);
      const fifth = await attempt('wrong 5');
      expect(fifth.statusCode).toBe(429);
      expect(fifth.headers['retry-after']).toBe('900');
      t.clock.advance(14 * 60_000);
      expect((await attempt(PASSWORD)).statusCode).toBe(429);
      t.clock.advance(61_000);
      expect((await attempt(PASSWORD)).statusCode).toBe(200);
      // A success clears the count.
      expect((await attempt('wrong again')).statusCode).toBe(401);
    } finally {
      t.clock.set(start);
    }
  });

  it('throttles an unknown login exactly like a known one (nothing reveals whether it exists)', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await post('/api/v1/session', { login: 'ghost_user_x', password: 'nope nope' })).statusCode);
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('throttles admin logins too', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await post('/api/v1/console/session', { email: 'boss@merchant.test', password: 'nope nope' })).statusCode);
    expect(statuses).toEqual([401, 401, 429]);
    t.clock.advance(11_000);
  });
});

describe('password reset (R10.2)', () => {
  const mailsTo = (to: string) => t.database.transaction((tx) => tx.select().from(mailOutbox).where(eq(mailOutbox.to, to)));
  const tokenOf = (text: string) => /\/reset\?token=(\w+)/.exec(text)![1]!;

  it('always answers 202; mails a one-time link only when the account exists', async () => {
    const a = await signUpAffiliate(t);
    const before = await countRows(t.database, 'mail_outbox');
    const unknown = await post('/api/v1/portal/password_reset', { username: 'nobody_here_at_all' });
    expect(unknown.statusCode).toBe(202);
    expect(await countRows(t.database, 'mail_outbox')).toBe(before);
    const known = await post('/api/v1/portal/password_reset', { username: a.username });
    expect(known.statusCode).toBe(202);
    expect(known.json()).toEqual(unknown.json());
    const mails = await mailsTo(a.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.template).toBe('password_reset');
    expect(mails[0]!.text).toContain('http://affable.test/reset?token=');
  });

  it('mails at most RESETS_PER_HOUR links an hour to one account, still answering 202, and the links sent still work', async () => {
    const a = await signUpAffiliate(t);
    const start = t.clock.now();
    try {
      const statuses = [];
      for (let i = 0; i < RESETS_PER_HOUR + 2; i += 1) statuses.push((await post('/api/v1/portal/password_reset', { username: a.username })).statusCode);
      expect(statuses).toEqual(statuses.map(() => 202));
      const mails = await mailsTo(a.email);
      expect(mails).toHaveLength(RESETS_PER_HOUR);
      // An hour after the first ones, one more may go.
      t.clock.advance(60 * 60_000 + 1);
      await post('/api/v1/portal/password_reset', { username: a.username });
      const after = await mailsTo(a.email);
      expect(after).toHaveLength(RESETS_PER_HOUR + 1);
      const newest = after.find((m) => !mails.some((old) => old.id === m.id))!;
      const confirmed = await post('/api/v1/portal/password_reset/confirm', { token: tokenOf(newest.text), new_password: 'a throttled new password' });
      expect(confirmed.statusCode, confirmed.body).toBe(200);
    } finally {
      t.clock.set(start);
    }
  });

  it('sets a new password once; the token does not work twice; old sessions end', async () => {
    const a = await signUpAffiliate(t);
    await post('/api/v1/portal/password_reset', { username: a.username });
    const token = tokenOf((await mailsTo(a.email))[0]!.text);
    const first = await post('/api/v1/portal/password_reset/confirm', { token, new_password: 'a brand new password' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ status: 'password_changed', username: a.username });
    const again = await post('/api/v1/portal/password_reset/confirm', { token, new_password: 'yet another password' });
    expect(again.statusCode).toBe(422);
    expect(again.json().errors[0].field).toBe('token');
    expect((await a.call('GET', '/api/v1/session')).statusCode).toBe(401);
    expect((await post('/api/v1/session', { login: a.username, password: PASSWORD })).statusCode).toBe(401);
    expect((await post('/api/v1/session', { login: a.username, password: 'a brand new password' })).statusCode).toBe(200);
  });

  it('expires the link after an hour (injected clock), changing nothing', async () => {
    const a = await signUpAffiliate(t);
    await post('/api/v1/portal/password_reset', { username: a.email });
    const token = tokenOf((await mailsTo(a.email))[0]!.text);
    const start = t.clock.now();
    t.clock.advance(60 * 60_000 + 1);
    try {
      const late = await post('/api/v1/portal/password_reset/confirm', { token, new_password: 'too late password' });
      expect(late.statusCode).toBe(422);
      expect(late.json().code).toBe('reset_token_invalid');
    } finally {
      t.clock.set(start);
    }
    expect((await post('/api/v1/session', { login: a.username, password: PASSWORD })).statusCode).toBe(200);
  });

  it('refuses a made-up token', async () => {
    const res = await post('/api/v1/portal/password_reset/confirm', { token: 'made_up_token_0000', new_password: 'whatever password' });
    expect(res.statusCode).toBe(422);
  });
});

describe('changing email or password needs the security answer or the current password (R10.2)', () => {
  it('refuses without proof or with a wrong answer, field by field, and changes nothing', async () => {
    const a = await signUpAffiliate(t);
    const none = await a.call('POST', '/api/v1/portal/account/email', { email: 'changed@example.com' });
    expect(none.statusCode).toBe(422);
    expect(none.json().errors[0].field).toBe('security_answer');
    const wrong = await a.call('POST', '/api/v1/portal/account/email', { email: 'changed@example.com', security_answer: 'Fido' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().errors[0].field).toBe('security_answer');
    const badPassword = await a.call('POST', '/api/v1/portal/account/password', { new_password: 'new password here', current_password: 'not it at all' });
    expect(badPassword.statusCode).toBe(422);
    expect(badPassword.json().errors[0].field).toBe('current_password');
    const row = (await t.database.transaction((tx) => tx.select().from(affiliates).where(eq(affiliates.id, a.id))))[0]!;
    expect(row.email).toBe(a.email);
    expect((await post('/api/v1/session', { login: a.username, password: PASSWORD })).statusCode).toBe(200);
  });

  it('changes the email with the security answer (case and spaces ignored)', async () => {
    const a = await signUpAffiliate(t);
    const res = await a.call('POST', '/api/v1/portal/account/email', { email: ` Moved-${a.username}@Example.com`, security_answer: '  rEx ' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().email).toBe(`moved-${a.username}@example.com`);
    const taken = await a.call('POST', '/api/v1/portal/account/email', { email: 'nova@example.com', security_answer: 'Rex' });
    expect(taken.statusCode).toBe(409);
  });

  it('changes the password with the current password; this session stays, others end', async () => {
    const a = await signUpAffiliate(t);
    const elsewhere = await logIn(t, '/api/v1/session', { login: a.username, password: PASSWORD });
    const res = await a.call('POST', '/api/v1/portal/account/password', { new_password: 'fresh password 42', current_password: PASSWORD });
    expect(res.statusCode, res.body).toBe(200);
    expect((await a.call('GET', '/api/v1/session')).statusCode).toBe(200);
    expect((await elsewhere.call('GET', '/api/v1/session')).statusCode).toBe(401);
    expect((await post('/api/v1/session', { login: a.username, password: 'fresh password 42' })).statusCode).toBe(200);
  });

  it('is for the affiliate themselves: an admin session cannot use it', async () => {
    const admin = await logIn(t, '/api/v1/console/session', { email: 'boss@merchant.test', password: 'admin password 1' });
    const res = await admin.call('POST', '/api/v1/portal/account/password', { new_password: 'fresh password 42', security_answer: 'x' });
    expect(res.statusCode).toBe(403);
  });
});
