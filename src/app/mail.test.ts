// Proves the mail outbox: decisions write their mail in their own transaction, delivery after
// commit sends each message once (through a real SMTP conversation with a tiny local server),
// a failed send is kept with its error and retried, and without SMTP the dev mailbox has it all.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../test/support/app.js';
import { signUpAffiliate } from '../../test/support/sessions.js';
import { FixedClock } from './clock.js';
import { MailDelivery, queueMail, smtpTransport, templates, type MailTransport, type OutgoingMessage } from './mail.js';

interface SmtpMessage {
  from: string;
  to: string[];
  data: string;
}

/** Just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to receive what nodemailer sends. */
async function startSmtpServer(): Promise<{ port: number; messages: SmtpMessage[]; close(): Promise<void> }> {
  const messages: SmtpMessage[] = [];
  const server: Server = createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let inData = false;
    let current: SmtpMessage = { from: '', to: [], data: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 localhost ESMTP affable-test');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end).replace(/\r\n\.\./g, '\r\n.');
          buffer = buffer.slice(end + 5);
          inData = false;
          messages.push(current);
          current = { from: '', to: [], data: '' };
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n');
        else if (verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') {
          current.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 OK');
        } else if (verb === 'RCPT') {
          current.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          reply('250 2.1.5 OK');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 end data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET') {
          current = { from: '', to: [], data: '' };
          reply('250 OK');
        } else if (verb === 'NOOP') reply('250 OK');
        else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
          return;
        } else reply('502 5.5.2 command not implemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Collects messages; `failures` makes the next sends throw. */
function memoryTransport(): MailTransport & { sent: OutgoingMessage[]; failures: number } {
  const transport = {
    sent: [] as OutgoingMessage[],
    failures: 0,
    async send(message: OutgoingMessage) {
      if (transport.failures > 0) {
        transport.failures -= 1;
        throw new Error('421 service not available');
      }
      transport.sent.push(message);
    },
  };
  return transport;
}

const log = pino({ level: 'silent' });

describe('delivery over SMTP', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await makeTestApp();
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('sends each queued message once, through a real SMTP conversation, and marks it sent', async () => {
    const clock = new FixedClock(new Date('2027-01-01T00:00:00Z'));
    await t.database.transaction(async (tx) => {
      await queueMail(tx, clock, 'ana@example.com', templates.applicationApproved({ name: 'Ana', programName: 'Kartra' }));
      await queueMail(tx, clock, 'bo@example.com', templates.applicationDenied({ name: 'Bo', programName: 'Kartra', reason: 'No website yet.' }));
    });
    const delivery = new MailDelivery(t.database, await smtpTransport(`smtp://127.0.0.1:${smtp.port}`), clock, 'Affable <no-reply@affable.test>', log);
    const [first, second] = await Promise.all([delivery.deliverPending(), delivery.deliverPending()]);
    expect(first + second).toBe(2);
    expect(smtp.messages).toHaveLength(2);
    const ana = smtp.messages.find((m) => m.to.includes('ana@example.com'))!;
    expect(ana.from).toBe('no-reply@affable.test');
    expect(ana.data).toContain("Subject: You're approved for the Kartra affiliate program");
    expect(ana.data).toContain('Your application to the Kartra affiliate program was approved.');
    const bo = smtp.messages.find((m) => m.to.includes('bo@example.com'))!;
    expect(bo.data).toContain('Reason: No website yet.');
    expect(await delivery.deliverPending()).toBe(0);
    const box = (await t.call('GET', '/api/v1/dev/mailbox')).json().data;
    expect(box.every((m: { sent_at: string | null; error: string | null }) => m.sent_at !== null && m.error === null)).toBe(true);
  });
});

describe('delivery failures', () => {
  it('keeps a failed message with its error and sends it on a later pass', async () => {
    const t = await makeTestApp();
    try {
      const clock = new FixedClock(new Date('2027-01-01T00:00:00Z'));
      await t.database.transaction((tx) =>
        queueMail(tx, clock, 'cy@example.com', templates.payoutSent({ name: 'Cy', programName: 'Kartra', month: '2027-03', amountMinor: 9900, currency: 'usd', paypalEmail: 'cy@paypal.example' })),
      );
      const transport = memoryTransport();
      transport.failures = 1;
      const delivery = new MailDelivery(t.database, transport, clock, 'Affable <no-reply@affable.test>', log);
      expect(await delivery.deliverPending()).toBe(0);
      const failed = (await t.call('GET', '/api/v1/dev/mailbox')).json().data[0];
      expect(failed).toMatchObject({ sent_at: null, error: '421 service not available', template: 'payout_sent' });
      expect(await delivery.deliverPending()).toBe(1);
      expect(transport.sent[0]).toMatchObject({ to: 'cy@example.com', subject: 'Kartra: your 2027-03 payout of 99.00 USD was sent' });
      expect((await t.call('GET', '/api/v1/dev/mailbox')).json().data[0]).toMatchObject({ error: null, sent_at: expect.any(String) });
    } finally {
      await t.close();
    }
  });
});

describe('decisions mail the affiliate', () => {
  let t: TestApp;
  let transport: ReturnType<typeof memoryTransport>;
  beforeAll(async () => {
    transport = memoryTransport();
    t = await makeTestApp({ mailTransport: transport });
    await t.call('POST', '/api/v1/programs', { slug: 'kartra', name: 'Kartra', currency: 'usd', landing_url: 'https://k.example/' });
  });
  afterAll(async () => {
    await t.close();
  });

  const apply = async (username: string) => {
    const a = await t.call('POST', '/api/v1/affiliates', { email: `${username}@example.com`, username, name: username.toUpperCase() });
    const app = await t.call('POST', '/api/v1/programs/kartra/applications', { affiliate_id: a.json().id, terms_version: 'v1' });
    return app.json().id as string;
  };

  it('mails an approval after the commit', async () => {
    const id = await apply('approved1');
    expect((await t.call('POST', `/api/v1/applications/${id}/approve`)).statusCode).toBe(200);
    await t.context.mail!.idle();
    expect(transport.sent.find((m) => m.to === 'approved1@example.com')).toMatchObject({ subject: expect.stringContaining('approved') });
  });

  it('mails a denial with its reason, and nothing for a refused decision', async () => {
    const id = await apply('denied1');
    expect((await t.call('POST', `/api/v1/applications/${id}/deny`, { reason: 'Your site is under construction.' })).statusCode).toBe(200);
    await t.context.mail!.idle();
    const mail = transport.sent.find((m) => m.to === 'denied1@example.com')!;
    expect(mail.text).toContain('Reason: Your site is under construction.');
    const before = (await t.call('GET', '/api/v1/dev/mailbox?limit=100')).json().data.length;
    expect((await t.call('POST', `/api/v1/applications/${id}/approve`)).statusCode).toBe(409);
    expect((await t.call('GET', '/api/v1/dev/mailbox?limit=100')).json().data.length).toBe(before);
  });

  it('keeps the dev mailbox for admins only', async () => {
    const me = await signUpAffiliate(t);
    const res = await me.call('GET', '/api/v1/dev/mailbox');
    expect(res.statusCode).toBe(403);
    const unauthenticated = await t.app.inject({ method: 'GET', url: '/api/v1/dev/mailbox' });
    expect(unauthenticated.statusCode).toBe(401);
  });
});
