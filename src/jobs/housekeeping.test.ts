// Proves the hourly housekeeping on this run's backend: purgeExpired deletes the sessions and
// password-reset tokens past their expiry and the failed-login counters past the policy's memory,
// by the system clock, to the millisecond, and nothing else; and the `housekeeping.purge` job on
// pg-boss runs that pass.
import { inArray } from 'drizzle-orm';
import { afterEach, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../test/support/app.js';
import { purgeExpired } from '../app/housekeeping.js';
import { LOGIN_POLICY } from '../app/sessions.js';
import { loginAttempts, passwordResets, sessions } from '../store/schema.js';
import { HOUSEKEEPING_PURGE } from './housekeeping.js';
import { jobRows } from './test-support.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const NOW = new Date('2027-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);

/** Sessions and reset tokens expiring a millisecond before now, at now, and after it; answers their token hashes. */
async function seed(app: TestApp, tag: string) {
  const affiliate = await app.call('POST', '/api/v1/affiliates', { email: `${tag}@aff.test`, username: tag, name: tag });
  expect(affiliate.statusCode, affiliate.body).toBe(201);
  const affiliateId = affiliate.json().id as string;
  const expiries = { before: at(-1), now: NOW, after: at(3_600_000) };
  await app.database.transaction(async (tx) => {
    for (const [name, expiresAt] of Object.entries(expiries)) {
      await tx.insert(sessions).values({ tokenHash: `${tag}_s_${name}`, principalKind: 'affiliate', principalId: affiliateId, csrfToken: 'x', createdAt: at(-86_400_000), expiresAt });
      await tx.insert(passwordResets).values({ tokenHash: `${tag}_r_${name}`, affiliateId, expiresAt, usedAt: null, createdAt: at(-3_600_000) });
      // A counter whose last failure is forgotten a millisecond before now, at now, and after it.
      const lastFailureAt = new Date(expiresAt.getTime() - LOGIN_POLICY.forgetAfterMs);
      await tx.insert(loginAttempts).values({ login: `${tag}_l_${name}`, failures: 5, lockedUntil: new Date(lastFailureAt.getTime() + LOGIN_POLICY.lockMs), lastFailureAt });
    }
  });
  const names = Object.keys(expiries);
  return { sessions: names.map((n) => `${tag}_s_${n}`), resets: names.map((n) => `${tag}_r_${n}`), logins: names.map((n) => `${tag}_l_${n}`) };
}

async function remaining(app: TestApp, seeded: { sessions: string[]; resets: string[]; logins: string[] }) {
  return app.database.transaction(async (tx) => ({
    sessions: (await tx.select({ h: sessions.tokenHash }).from(sessions).where(inArray(sessions.tokenHash, seeded.sessions))).map((r) => r.h).sort(),
    resets: (await tx.select({ h: passwordResets.tokenHash }).from(passwordResets).where(inArray(passwordResets.tokenHash, seeded.resets))).map((r) => r.h).sort(),
    logins: (await tx.select({ l: loginAttempts.login }).from(loginAttempts).where(inArray(loginAttempts.login, seeded.logins))).map((r) => r.l).sort(),
  }));
}

it('deletes the sessions, reset tokens and login counters that expired before now, and keeps those expiring at now or later', async () => {
  t = await makeTestApp({ now: NOW.toISOString() });
  const seeded = await seed(t, 'polly');
  expect(await purgeExpired(t.database, t.clock)).toEqual({ sessions: 1, passwordResets: 1, loginAttempts: 1 });
  expect(await remaining(t, seeded)).toEqual({
    sessions: ['polly_s_after', 'polly_s_now'],
    resets: ['polly_r_after', 'polly_r_now'],
    logins: ['polly_l_after', 'polly_l_now'],
  });
  // A second pass finds nothing more.
  expect(await purgeExpired(t.database, t.clock)).toEqual({ sessions: 0, passwordResets: 0, loginAttempts: 0 });
});

it('runs the purge as the housekeeping.purge job on pg-boss', async () => {
  t = await makeTestApp({ now: NOW.toISOString(), jobs: true });
  const seeded = await seed(t, 'quinn');
  const schedules = await t.jobs!.boss.getSchedules();
  expect(schedules.find((s) => s.name === HOUSEKEEPING_PURGE)?.cron).toBe('17 * * * *');
  // The schedule would wait for minute 17: the job is sent as the schedule sends it.
  await t.jobs!.boss.send(HOUSEKEEPING_PURGE, {});
  await expect.poll(async () => (await jobRows(t!.database, HOUSEKEEPING_PURGE)).some((j) => j.state === 'completed'), { timeout: 15_000, interval: 100 }).toBe(true);
  expect(await remaining(t, seeded)).toEqual({
    sessions: ['quinn_s_after', 'quinn_s_now'],
    resets: ['quinn_r_after', 'quinn_r_now'],
    logins: ['quinn_l_after', 'quinn_l_now'],
  });
});
