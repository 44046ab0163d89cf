// Proves the hourly housekeeping on this run's backend: purgeExpired deletes the sessions and
// password-reset tokens past their expiry by the system clock, to the millisecond, and nothing else;
// and the `housekeeping.purge` job on pg-boss runs that pass.
import { inArray } from 'drizzle-orm';
import { afterEach, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../test/support/app.js';
import { purgeExpired } from '../app/housekeeping.js';
import { passwordResets, sessions } from '../store/schema.js';
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
    }
  });
  return { sessions: Object.keys(expiries).map((n) => `${tag}_s_${n}`), resets: Object.keys(expiries).map((n) => `${tag}_r_${n}`) };
}

async function remaining(app: TestApp, seeded: { sessions: string[]; resets: string[] }) {
  return app.database.transaction(async (tx) => ({
    sessions: (await tx.select({ h: sessions.tokenHash }).from(sessions).where(inArray(sessions.tokenHash, seeded.sessions))).map((r) => r.h).sort(),
    resets: (await tx.select({ h: passwordResets.tokenHash }).from(passwordResets).where(inArray(passwordResets.tokenHash, seeded.resets))).map((r) => r.h).sort(),
  }));
}

it('deletes the sessions and reset tokens that expired before now, and keeps those expiring at now or later', async () => {
  t = await makeTestApp({ now: NOW.toISOString() });
  const seeded = await seed(t, 'polly');
  expect(await purgeExpired(t.database, t.clock)).toEqual({ sessions: 1, passwordResets: 1 });
  expect(await remaining(t, seeded)).toEqual({ sessions: ['polly_s_after', 'polly_s_now'], resets: ['polly_r_after', 'polly_r_now'] });
  // A second pass finds nothing more.
  expect(await purgeExpired(t.database, t.clock)).toEqual({ sessions: 0, passwordResets: 0 });
});

it('runs the purge as the housekeeping.purge job on pg-boss', async () => {
  t = await makeTestApp({ now: NOW.toISOString(), jobs: true });
  const seeded = await seed(t, 'quinn');
  const schedules = await t.jobs!.boss.getSchedules();
  expect(schedules.find((s) => s.name === HOUSEKEEPING_PURGE)?.cron).toBe('17 * * * *');
  // The schedule would wait for minute 17: the job is sent as the schedule sends it.
  await t.jobs!.boss.send(HOUSEKEEPING_PURGE, {});
  await expect.poll(async () => (await jobRows(t!.database, HOUSEKEEPING_PURGE)).some((j) => j.state === 'completed'), { timeout: 15_000, interval: 100 }).toBe(true);
  expect(await remaining(t, seeded)).toEqual({ sessions: ['quinn_s_after', 'quinn_s_now'], resets: ['quinn_r_after', 'quinn_r_now'] });
});
