// Proves the payouts poller on pg-boss, on this run's backend: the every-minute schedule finds a run
// left 'sending' (items PayPal had not settled yet), refreshes it to 'sent' through one keyed
// refresh job, and the mail its results queued is delivered by the mail job; nothing is paid twice.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTestApp, TEST_JOB_TIMING, type TestApp } from '../../test/support/app.js';
import { startFakePayPal, type FakePayPal } from '../../test/support/paypal-fake-server.js';
import { scenario } from '../../test/support/scenario.js';
import type { MailTransport, OutgoingMessage } from '../app/mail.js';
import { payoutSendDeps } from '../app/payout-send.js';
import { startJobs } from './jobs.js';
import { PAYOUTS_POLL, PAYOUTS_REFRESH } from './payouts.js';
import { MAIL_DELIVER } from './mail.js';
import { HOUSEKEEPING_PURGE } from './housekeeping.js';
import { jobRows } from './test-support.js';

let t: TestApp;
let paypal: FakePayPal;
const sent: OutgoingMessage[] = [];
const transport: MailTransport = { send: async (m) => void sent.push(m) };

beforeAll(async () => {
  // The second GET of the batch is the first with final results: the send's own GET leaves the run 'sending'.
  paypal = await startFakePayPal({ pollsUntilFinal: 2 });
  t = await makeTestApp({ paypal: { baseUrl: paypal.baseUrl, clientId: paypal.clientId, clientSecret: paypal.clientSecret }, mailTransport: transport });
});
afterAll(async () => {
  await t.close();
  await paypal.close();
});

async function sendingRun(): Promise<string> {
  const s = await scenario(t, { slug: 'kartra', start: '2027-01-05T10:00:00Z' });
  const a = await s.affiliate('polly');
  await t.call('PUT', `/api/v1/affiliates/${a.id}/tax_form`, {
    form: 'w8ben',
    legal_name: 'Polly Perkins',
    country: 'GB',
    address: { line1: '1 High St', city: 'London', postal_code: 'N1 1AA', country: 'GB' },
    signed_at: '2026-12-01T00:00:00Z',
  });
  await t.call('PUT', `/api/v1/affiliates/${a.id}/payout_account`, { paypal_email: 'polly@paypal.example' });
  await s.pay({ id: 'pay_1', sub: 'sub_1', customer: 'cus_1', amount: 9900, code: a.code });
  await s.setTime('2027-03-16T00:00:00Z');
  const run = (await t.call('POST', '/api/v1/payout_runs', { program: 'kartra', month: '2027-03' })).json();
  await t.call('POST', `/api/v1/payout_runs/${run.id}/approve`);
  expect((await t.call('POST', `/api/v1/payout_runs/${run.id}/send`)).json().status).toBe('sending');
  return run.id as string;
}

it('finishes a sending run from the schedule and delivers its mail through the mail job', async () => {
  const runId = await sendingRun();
  // Started after the run is 'sending': only the schedule can find it.
  const jobs = await startJobs({ database: t.database, payouts: payoutSendDeps(t.context), clock: t.context.clock, mail: t.context.mail, log: t.context.log, timing: TEST_JOB_TIMING });
  try {
    const schedules = await jobs.boss.getSchedules();
    expect(schedules.map((s) => [s.name, s.cron]).sort()).toEqual([
      [HOUSEKEEPING_PURGE, '17 * * * *'],
      [MAIL_DELIVER, '* * * * *'],
      [PAYOUTS_POLL, '* * * * *'],
    ]);
    await expect.poll(async () => (await t.call('GET', `/api/v1/payout_runs/${runId}`)).json().status, { timeout: 30_000, interval: 100 }).toBe('sent');
    await expect.poll(() => sent.some((m) => m.to === 'polly@aff.test' && m.subject.includes('was sent')), { timeout: 30_000, interval: 100 }).toBe(true);
    // The run was refreshed by a job keyed by its id, and the mail left through the queue.
    await expect.poll(async () => (await jobRows(t.database, PAYOUTS_REFRESH)).filter((j) => j.state === 'completed'), { timeout: 10_000, interval: 100 }).toEqual([
      expect.objectContaining({ singleton_key: runId }),
    ]);
    await expect.poll(async () => (await jobRows(t.database, MAIL_DELIVER)).some((j) => j.state === 'completed'), { timeout: 10_000, interval: 100 }).toBe(true);
  } finally {
    await jobs.stop();
  }
  expect(paypal.batches).toHaveLength(1);
  expect(sent.filter((m) => m.to === 'polly@aff.test' && m.subject.includes('was sent'))).toHaveLength(1);
  const outbox = await t.database.transaction((tx) => tx.execute(sql`select count(*)::int as n from mail_outbox where sent_at is null`));
  expect((outbox as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(0);
  // The refresh endpoint still answers the finished run as it is.
  expect((await t.call('POST', `/api/v1/payout_runs/${runId}/refresh`)).json().status).toBe('sent');
});
