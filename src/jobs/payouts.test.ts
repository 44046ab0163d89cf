// Proves the payouts job: on its own interval it finishes a run left 'sending' (items PayPal had
// not settled yet) and delivers the mail the results queued; stop() ends the loop.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../test/support/app.js';
import { startFakePayPal, type FakePayPal } from '../../test/support/paypal-fake-server.js';
import { scenario } from '../../test/support/scenario.js';
import type { MailTransport, OutgoingMessage } from '../app/mail.js';
import { payoutSendDeps } from '../app/payout-send.js';
import { startPayoutJob } from './payouts.js';

let t: TestApp;
let paypal: FakePayPal;
const sent: OutgoingMessage[] = [];
const transport: MailTransport = { send: async (m) => void sent.push(m) };

beforeAll(async () => {
  paypal = await startFakePayPal({ pollsUntilFinal: 2 });
  t = await makeTestApp({ paypal: { baseUrl: paypal.baseUrl, clientId: paypal.clientId, clientSecret: paypal.clientSecret }, mailTransport: transport });
});
afterAll(async () => {
  await t.close();
  await paypal.close();
});

it('finishes a sending run and delivers its mail on the next tick', async () => {
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

  const job = startPayoutJob({ deps: payoutSendDeps(t.context), mail: t.context.mail, log: t.context.log, intervalMs: 20 });
  try {
    await expect.poll(async () => (await t.call('GET', `/api/v1/payout_runs/${run.id}`)).json().status, { timeout: 5_000, interval: 25 }).toBe('sent');
    await expect.poll(() => sent.some((m) => m.to === 'polly@aff.test' && m.subject.includes('was sent')), { timeout: 5_000, interval: 25 }).toBe(true);
  } finally {
    await job.stop();
  }
  expect(paypal.batches).toHaveLength(1);
});
