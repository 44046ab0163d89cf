// Proves mail delivery on pg-boss, on this run's backend: with jobs running, decisions made by
// many requests in flight at once are each mailed exactly once by the mail.deliver job (through
// nodemailer, its stream transport standing in for SMTP), the requests all succeed while jobs use
// the same database, and after the jobs stop a kick delivers in the process again.
import nodemailer from 'nodemailer';
import { sql } from 'drizzle-orm';
import { afterEach, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../test/support/app.js';
import type { MailTransport } from '../app/mail.js';
import { MAIL_DELIVER } from './mail.js';
import { jobRows } from './test-support.js';

interface Delivered {
  to: string;
  subject: string;
  raw: string;
}

/** nodemailer renders each message as it would over SMTP, into memory. */
function streamTransport(): MailTransport & { delivered: Delivered[] } {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const delivered: Delivered[] = [];
  return {
    delivered,
    send: async (message) => {
      const info = await transporter.sendMail(message);
      delivered.push({ to: message.to, subject: message.subject, raw: String(info.message) });
    },
  };
}

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function applications(app: TestApp, usernames: string[]): Promise<string[]> {
  await app.call('POST', '/api/v1/programs', { slug: 'kartra', name: 'Kartra', currency: 'usd', landing_url: 'https://k.example/' });
  const ids: string[] = [];
  for (const username of usernames) {
    const a = await app.call('POST', '/api/v1/affiliates', { email: `${username}@example.com`, username, name: username.toUpperCase() });
    const application = await app.call('POST', '/api/v1/programs/kartra/applications', { affiliate_id: a.json().id, terms_version: 'v1' });
    ids.push(application.json().id as string);
  }
  return ids;
}

async function unsent(app: TestApp): Promise<number> {
  const result = await app.database.transaction((tx) => tx.execute(sql`select count(*)::int as n from mail_outbox where sent_at is null`));
  return (result as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
}

it('mails every decision once through the job while requests are in flight', async () => {
  const transport = streamTransport();
  t = await makeTestApp({ mailTransport: transport, jobs: true });
  const app = t;
  const usernames = Array.from({ length: 12 }, (_, i) => `busy${i}`);
  const ids = await applications(app, usernames);
  // Decisions and reads at once: each approval commits mail and kicks the queue while workers poll.
  const answers = await Promise.all([
    ...ids.map((id) => app.call('POST', `/api/v1/applications/${id}/approve`)),
    ...ids.map(() => app.call('GET', '/api/v1/dev/mailbox?limit=100')),
  ]);
  expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200));

  await expect.poll(() => transport.delivered.length, { timeout: 30_000, interval: 100 }).toBe(usernames.length);
  expect(transport.delivered.map((m) => m.to).sort()).toEqual(usernames.map((u) => `${u}@example.com`).sort());
  expect(transport.delivered[0]!.raw).toMatch(/^Subject: You're approved for the Kartra affiliate program$/m);
  expect(await unsent(app)).toBe(0);
  // It was the queue that delivered: the kicks made mail.deliver jobs, and they completed.
  await expect.poll(async () => (await jobRows(app.database, MAIL_DELIVER)).some((j) => j.state === 'completed'), { timeout: 10_000, interval: 100 }).toBe(true);
});

it('delivers in the process again once the jobs have stopped', async () => {
  const transport = streamTransport();
  t = await makeTestApp({ mailTransport: transport, jobs: true });
  const [id] = await applications(t, ['after']);
  await t.jobs!.stop();
  const queuedBefore = (await jobRows(t.database, MAIL_DELIVER)).length;
  expect((await t.call('POST', `/api/v1/applications/${id}/approve`)).statusCode).toBe(200);
  await t.context.mail!.idle();
  expect(transport.delivered.map((m) => m.to)).toEqual(['after@example.com']);
  expect((await jobRows(t.database, MAIL_DELIVER)).length).toBe(queuedBefore);
});
