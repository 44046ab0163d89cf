// Proves api.md "Payouts" end to end over HTTP (R8): billing events make commissions, the monthly
// run pays what became due before the month (the page's own example, R8.2), withholds affiliates
// without a tax form or PayPal account and pays them later with nothing lost (R8.3), sends through
// (a fake) PayPal once, and refuses what it must with nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, makeTestApp, type TestApp } from '../../../test/support/app.js';
import { startFakePayPal, type FakePayPal } from '../../../test/support/paypal-fake-server.js';
import { scenario, type Scenario } from '../../../test/support/scenario.js';

let t: TestApp;
let bare: TestApp; // no PayPal configured
let paypal: FakePayPal;

beforeAll(async () => {
  paypal = await startFakePayPal();
  t = await makeTestApp({ paypal: { baseUrl: paypal.baseUrl, clientId: paypal.clientId, clientSecret: paypal.clientSecret } });
  bare = await makeTestApp();
});
afterAll(async () => {
  await t.close();
  await bare.close();
  await paypal.close();
});

let programs = 0;
const newProgram = async (app: TestApp = t) => {
  programs += 1;
  return scenario(app, { slug: `prog${programs}`, start: '2027-01-01T00:00:00Z' });
};

const W9 = { form: 'w9', legal_name: 'Ana Smith', country: 'US', tin: '123-45-6789', address: { line1: '1 Main St', city: 'Austin', state: 'TX', postal_code: '78701', country: 'US' }, signed_at: '2026-12-01T10:00:00Z' };

/** An approved affiliate; by default with a complete W-9 and a PayPal account. */
async function payee(s: Scenario, username: string, options: { taxForm?: boolean; paypalEmail?: string | null } = {}) {
  const a = await s.affiliate(`${username}_${s.program}`);
  if (options.taxForm !== false) expect((await s.t.call('PUT', `/api/v1/affiliates/${a.id}/tax_form`, W9)).statusCode).toBe(200);
  const email = options.paypalEmail === undefined ? `${username}.${s.program}@paypal.example` : options.paypalEmail;
  if (email) expect((await s.t.call('PUT', `/api/v1/affiliates/${a.id}/payout_account`, { paypal_email: email })).statusCode).toBe(200);
  return a;
}

let payments = 0;
/** A first full-price monthly payment of 9900 credited through the affiliate's code at `at` (referral tier: 100%). */
async function sale(s: Scenario, code: string, at: string, amount = 9900, options: { backdated?: boolean } = {}) {
  payments += 1;
  if (!options.backdated) await s.setTime(at);
  const body = await s.pay({ id: `pay_${payments}`, sub: `sub_${payments}`, customer: `cus_${payments}`, amount, code, ...(options.backdated ? { at } : {}) });
  expect(body.commissions.length, JSON.stringify(body)).toBeGreaterThan(0);
  return body.commissions[0].id as string;
}

async function createRun(s: Scenario, month: string) {
  const res = await s.t.call('POST', '/api/v1/payout_runs', { program: s.program, month });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function approveAndSend(app: TestApp, runId: string) {
  expect((await app.call('POST', `/api/v1/payout_runs/${runId}/approve`)).statusCode).toBe(200);
  const sent = await app.call('POST', `/api/v1/payout_runs/${runId}/send`);
  expect(sent.statusCode, sent.body).toBe(200);
  return sent.json();
}

/** The one mail of `template` to `to` in the dev mailbox. */
async function mailTo(to: string, template: string) {
  const res = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(to)}&limit=100`);
  expect(res.statusCode).toBe(200);
  const found = res.json().data.filter((m: { template: string }) => m.template === template);
  expect(found, `${template} to ${to}`).toHaveLength(1);
  return found[0];
}

async function payoutEntryCount(app: TestApp, affiliateId?: string): Promise<number> {
  return app.database.transaction(async (tx) => {
    const { ledgerEntries } = await import('../../store/schema.js');
    const { and, eq } = await import('drizzle-orm');
    const rows = await tx
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.type, 'payout'), affiliateId ? eq(ledgerEntries.affiliateId, affiliateId) : undefined));
    return rows.length;
  });
}

describe('the page’s own example (R8.2)', () => {
  it('pays the January 3 sale in the March run and the January 17 sale in the April run', async () => {
    const s = await newProgram();
    const ana = await payee(s, 'ana');
    const jan3 = await sale(s, ana.code, '2027-01-03T10:00:00Z');
    const jan17 = await sale(s, ana.code, '2027-01-17T10:00:00Z');

    // February's run: nothing is due before Feb 1.
    await s.setTime('2027-02-20T00:00:00Z');
    const feb = await createRun(s, '2027-02');
    expect(feb).toMatchObject({ status: 'draft', items: [], withheld: [] });
    // The April run cannot be composed in March.
    await s.setTime('2027-03-15T00:00:00Z');
    const early = await t.call('POST', '/api/v1/payout_runs', { program: s.program, month: '2027-04' });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('payout_month_not_started');

    const march = await createRun(s, '2027-03');
    expect(march).toMatchObject({ program: s.program, month: '2027-03', status: 'draft', currency: 'usd', withheld: [] });
    expect(march.items).toEqual([
      expect.objectContaining({ affiliate_id: ana.id, amount: 9900, currency: 'usd', commission_ids: [jan3], status: 'pending' }),
    ]);
    const sent = await approveAndSend(t, march.id);
    expect(sent.status).toBe('sent');
    expect(sent.items[0]).toMatchObject({ status: 'paid', paypal_item_id: expect.any(String) });
    expect(await s.balance(ana.id)).toEqual({ reserve: 0, due: 9900, paid: 9900 });
    expect((await s.commissions(ana.id)).map((c: { id: string; status: string }) => [c.id, c.status]).sort()).toEqual([[jan17, 'due'], [jan3, 'paid']].sort());

    await s.setTime('2027-04-15T00:00:00Z');
    const april = await createRun(s, '2027-04');
    expect(april.items).toEqual([expect.objectContaining({ affiliate_id: ana.id, amount: 9900, commission_ids: [jan17] })]);
    expect((await approveAndSend(t, april.id)).status).toBe('sent');
    expect(await s.balance(ana.id)).toEqual({ reserve: 0, due: 0, paid: 19800 });
    expect(await payoutEntryCount(t, ana.id)).toBe(2);

    const list = await t.call('GET', `/api/v1/payout_runs?program=${s.program}`);
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((r: { month: string }) => r.month)).toEqual(['2027-04', '2027-03', '2027-02']);
    const page = await t.call('GET', `/api/v1/payout_runs?program=${s.program}&limit=2`);
    expect(page.json()).toMatchObject({ has_more: true });
    const next = await t.call('GET', `/api/v1/payout_runs?program=${s.program}&limit=2&cursor=${page.json().next_cursor}`);
    expect(next.json().data.map((r: { month: string }) => r.month)).toEqual(['2027-02']);
  });
});

describe('withholding (R8.3)', () => {
  it('withholds an affiliate without a tax form or PayPal account, mails why, and pays everything later', async () => {
    const s = await newProgram();
    const bo = await payee(s, 'bo', { taxForm: false });
    const cy = await payee(s, 'cy', { taxForm: false, paypalEmail: null });
    const bo1 = await sale(s, bo.code, '2027-01-05T10:00:00Z');
    const cy1 = await sale(s, cy.code, '2027-01-06T10:00:00Z', 4900);
    await s.setTime('2027-03-16T00:00:00Z');
    const march = await createRun(s, '2027-03');
    expect(march.items).toEqual([]);
    expect(march.withheld).toEqual(
      expect.arrayContaining([
        { affiliate_id: bo.id, amount: 9900, reasons: ['tax_form_missing'], commission_ids: [bo1] },
        { affiliate_id: cy.id, amount: 4900, reasons: ['tax_form_missing', 'payout_account_missing'], commission_ids: [cy1] },
      ]),
    );
    const boWithheld = await mailTo(`bo_${s.program}@aff.test`, 'payout_withheld');
    expect(boWithheld).toMatchObject({ sent_at: null, subject: expect.stringContaining('on hold') });
    expect(boWithheld.text).toContain('tax form');
    expect(boWithheld.text).toContain('99.00');
    const cyWithheld = await mailTo(`cy_${s.program}@aff.test`, 'payout_withheld');
    expect(cyWithheld.text).toContain('tax form');
    expect(cyWithheld.text).toContain('PayPal');

    // Bo files a W-9; a later sale (imported back-dated) joins the withheld one in April's run. Nothing was lost.
    expect((await t.call('PUT', `/api/v1/affiliates/${bo.id}/tax_form`, W9)).statusCode).toBe(200);
    const bo2 = await sale(s, bo.code, '2027-02-01T10:00:00Z', 9900, { backdated: true });
    await s.setTime('2027-04-16T00:00:00Z');
    const april = await createRun(s, '2027-04');
    expect(april.items).toEqual([expect.objectContaining({ affiliate_id: bo.id, amount: 19800, commission_ids: [bo1, bo2] })]);
    expect(april.withheld).toEqual([{ affiliate_id: cy.id, amount: 4900, reasons: ['tax_form_missing', 'payout_account_missing'], commission_ids: [cy1] }]);
    expect((await approveAndSend(t, april.id)).status).toBe('sent');
    expect(await s.balance(bo.id)).toEqual({ reserve: 0, due: 0, paid: 19800 });
    expect(await s.balance(cy.id)).toEqual({ reserve: 0, due: 4900, paid: 0 });
    const sentMail = await mailTo(`bo_${s.program}@aff.test`, 'payout_sent');
    expect(sentMail.text).toContain('198.00');
    expect(sentMail.text).toContain('2027-04');
  });

  it('lets a discarded draft free its commissions for a recomposed run', async () => {
    const s = await newProgram();
    const di = await payee(s, 'di', { taxForm: false });
    await sale(s, di.code, '2027-01-05T10:00:00Z');
    await s.setTime('2027-03-16T00:00:00Z');
    const first = await createRun(s, '2027-03');
    expect(first.items).toEqual([]);
    expect((await t.call('PUT', `/api/v1/affiliates/${di.id}/tax_form`, W9)).statusCode).toBe(200);
    expect((await t.call('DELETE', `/api/v1/payout_runs/${first.id}`)).statusCode).toBe(204);
    expect((await t.call('GET', `/api/v1/payout_runs/${first.id}`)).statusCode).toBe(404);
    const again = await createRun(s, '2027-03');
    expect(again.items).toEqual([expect.objectContaining({ affiliate_id: di.id, amount: 9900 })]);
    await approveAndSend(t, again.id);
    expect((await t.call('DELETE', `/api/v1/payout_runs/${again.id}`)).statusCode).toBe(409);
  });
});

describe('failed items (R8.4)', () => {
  it('records PayPal’s reason, leaves the amount due, and a later month’s run pays it', async () => {
    const s = await newProgram();
    const ed = await payee(s, 'ed', { paypalEmail: 'will-fail@paypal.example' });
    const fay = await payee(s, 'fay');
    const ed1 = await sale(s, ed.code, '2027-01-05T10:00:00Z');
    await sale(s, fay.code, '2027-01-05T11:00:00Z');
    await s.setTime('2027-03-16T00:00:00Z');
    const march = await createRun(s, '2027-03');
    expect(march.items).toHaveLength(2);
    const sent = await approveAndSend(t, march.id);
    expect(sent.status).toBe('sent');
    const edItem = sent.items.find((i: { affiliate_id: string }) => i.affiliate_id === ed.id);
    expect(edItem).toMatchObject({ status: 'failed', failure_reason: 'RECEIVER_UNREGISTERED: Receiver is unregistered' });
    expect(await s.balance(ed.id)).toEqual({ reserve: 0, due: 9900, paid: 0 });
    expect(await payoutEntryCount(t, ed.id)).toBe(0);

    expect((await t.call('PUT', `/api/v1/affiliates/${ed.id}/payout_account`, { paypal_email: 'ed@paypal.example' })).statusCode).toBe(200);
    await s.setTime('2027-04-16T00:00:00Z');
    const april = await createRun(s, '2027-04');
    expect(april.items).toEqual([expect.objectContaining({ affiliate_id: ed.id, amount: 9900, commission_ids: [ed1], receiver: 'ed@paypal.example' })]);
    expect((await approveAndSend(t, april.id)).items[0].status).toBe('paid');
    expect(await s.balance(ed.id)).toEqual({ reserve: 0, due: 0, paid: 9900 });
  });
});

describe('refusals change nothing', () => {
  it('refuses a malformed month (422), an unknown program (404) and a second run of a month (409)', async () => {
    const s = await newProgram();
    await s.setTime('2027-03-02T00:00:00Z');
    const before = await countRows(t.database, 'payout_runs');
    for (const month of ['2027-13', '2027-3', 'March', '', '2027-03-01']) {
      const res = await t.call('POST', '/api/v1/payout_runs', { program: s.program, month });
      expect(res.statusCode, month).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().errors[0].field).toBe('month');
    }
    const unknown = await t.call('POST', '/api/v1/payout_runs', { program: 'no-such-program', month: '2027-03' });
    expect(unknown.statusCode).toBe(404);
    expect(await countRows(t.database, 'payout_runs')).toBe(before);

    await createRun(s, '2027-03');
    const again = await t.call('POST', '/api/v1/payout_runs', { program: s.program, month: '2027-03' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('payout_run_exists');
    expect(await countRows(t.database, 'payout_runs')).toBe(before + 1);
  });

  it('creates one run when two requests race for the same month', async () => {
    const s = await newProgram();
    const gus = await payee(s, 'gus');
    await sale(s, gus.code, '2027-01-05T10:00:00Z');
    await s.setTime('2027-03-02T00:00:00Z');
    const [a, b] = await Promise.all([
      t.call('POST', '/api/v1/payout_runs', { program: s.program, month: '2027-03' }),
      t.call('POST', '/api/v1/payout_runs', { program: s.program, month: '2027-03' }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    const runs = (await t.call('GET', `/api/v1/payout_runs?program=${s.program}`)).json().data;
    expect(runs).toHaveLength(1);
    expect(runs[0].items).toHaveLength(1);
  });

  it('refuses approving twice and sending a draft (409), changing nothing', async () => {
    const s = await newProgram();
    const hal = await payee(s, 'hal');
    await sale(s, hal.code, '2027-01-05T10:00:00Z');
    await s.setTime('2027-03-16T00:00:00Z');
    const run = await createRun(s, '2027-03');
    const draftSend = await t.call('POST', `/api/v1/payout_runs/${run.id}/send`);
    expect(draftSend.statusCode).toBe(409);
    expect(draftSend.json().code).toBe('payout_run_not_approved');
    expect((await t.call('GET', `/api/v1/payout_runs/${run.id}`)).json().status).toBe('draft');

    const approved = await t.call('POST', `/api/v1/payout_runs/${run.id}/approve`);
    expect(approved.json().status).toBe('approved');
    const snapshot = (await t.call('GET', `/api/v1/payout_runs/${run.id}`)).body;
    const twice = await t.call('POST', `/api/v1/payout_runs/${run.id}/approve`);
    expect(twice.statusCode).toBe(409);
    expect(twice.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(twice.json()).toMatchObject({ status: 409, code: 'payout_run_state' });
    expect((await t.call('GET', `/api/v1/payout_runs/${run.id}`)).body).toBe(snapshot);
    expect((await t.call('POST', '/api/v1/payout_runs/prun_nope/approve')).statusCode).toBe(404);
    expect((await t.call('POST', '/api/v1/payout_runs/prun_nope/send')).statusCode).toBe(404);
  });

  it('answers 409 paypal_not_configured without PayPal, leaving the run approved', async () => {
    const s = await newProgram(bare);
    const ivy = await s.affiliate('ivy');
    expect((await bare.call('PUT', `/api/v1/affiliates/${ivy.id}/tax_form`, W9)).statusCode).toBe(200);
    expect((await bare.call('PUT', `/api/v1/affiliates/${ivy.id}/payout_account`, { paypal_email: 'ivy@paypal.example' })).statusCode).toBe(200);
    await sale(s, ivy.code, '2027-01-05T10:00:00Z');
    await s.setTime('2027-03-16T00:00:00Z');
    const run = await createRun(s, '2027-03');
    expect((await bare.call('POST', `/api/v1/payout_runs/${run.id}/approve`)).statusCode).toBe(200);
    const res = await bare.call('POST', `/api/v1/payout_runs/${run.id}/send`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('paypal_not_configured');
    expect((await bare.call('GET', `/api/v1/payout_runs/${run.id}`)).json().status).toBe('approved');

    // Without PayPal the mass-payment file is the way to pay.
    const csv = await bare.call('GET', `/api/v1/payout_runs/${run.id}/export.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body).toBe(`ivy@paypal.example,99.00,USD,${run.items[0].id},Affable ${s.program} 2027-03\r\n`);
  });
});

describe('sending twice never pays twice', () => {
  it('answers a sent run as it is, and a double click creates one batch', async () => {
    const s = await newProgram();
    const jo = await payee(s, 'jo');
    await sale(s, jo.code, '2027-01-05T10:00:00Z');
    await s.setTime('2027-03-16T00:00:00Z');
    const run = await createRun(s, '2027-03');
    await t.call('POST', `/api/v1/payout_runs/${run.id}/approve`);
    const batchesBefore = paypal.batches.length;
    const [a, b] = await Promise.all([t.call('POST', `/api/v1/payout_runs/${run.id}/send`), t.call('POST', `/api/v1/payout_runs/${run.id}/send`)]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const third = await t.call('POST', `/api/v1/payout_runs/${run.id}/send`);
    expect(third.json().status).toBe('sent');
    expect(paypal.batches.length).toBe(batchesBefore + 1);
    expect(paypal.batches.at(-1)!.senderBatchId).toBe(run.sender_batch_id);
    expect(await payoutEntryCount(t, jo.id)).toBe(1);
    expect(await s.balance(jo.id)).toEqual({ reserve: 0, due: 0, paid: 9900 });
  });
});

describe('1099-NEC worksheet', () => {
  it('lists US payees paid at or above the threshold in the year, with masked TINs', async () => {
    const s = await newProgram();
    const kai = await payee(s, 'kai');
    await sale(s, kai.code, '2027-01-05T10:00:00Z', 250_000);
    await s.setTime('2027-03-16T00:00:00Z');
    const run = await createRun(s, '2027-03');
    await approveAndSend(t, run.id);
    const res = await t.call('GET', `/api/v1/reports/1099-nec.csv?year=2027&program=${s.program}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^tax_year,account_number,recipient_name/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(`2027,${kai.id},Ana Smith,,***-**-6789,1 Main St,,Austin,TX,78701,US,2500.00`);
    expect(res.body).not.toContain('123-45-6789');
    const lastYear = await t.call('GET', `/api/v1/reports/1099-nec.csv?year=2026&program=${s.program}`);
    expect(lastYear.body.trim().split('\r\n')).toHaveLength(1);
    expect((await t.call('GET', '/api/v1/reports/1099-nec.csv?year=soon')).statusCode).toBe(422);
  });
});
