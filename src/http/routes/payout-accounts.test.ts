// Proves payment settings (R8.3, R9.4): the PayPal account and the tax form are stored, the form's
// completeness is shown, a bad or incomplete form is refused whole, and the TIN never leaves the
// server in full: not in any response, not in a log line, not in clear in the database.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, makeTestApp, type TestApp } from '../../../test/support/app.js';
import { signUpAffiliate } from '../../../test/support/sessions.js';
import { decryptString } from '../../compliance/secret-box.js';
import { tinAssociatedData } from '../../app/tax-forms.js';

const TIN = '123-45-6789';
const TIN_DIGITS = '123456789';
const logLines: string[] = [];
const responses: string[] = [];

let t: TestApp;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  t = await makeTestApp({ log: pino({ level: 'trace' }, sink) });
});
afterAll(async () => {
  await t.close();
});

/** Every answer is kept for the "TIN never leaves" check at the end. */
async function call(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  const res = await t.call(method, url, body);
  responses.push(`${JSON.stringify(res.headers)}\n${res.body}`);
  return res;
}

let n = 0;
async function newAffiliate(): Promise<string> {
  n += 1;
  const res = await call('POST', '/api/v1/affiliates', { email: `pay${n}@example.com`, username: `payee${n}`, name: `Payee ${n}` });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const address = { line1: '1 Main St', city: 'Austin', state: 'TX', postal_code: '78701', country: 'US' };
const w9 = (over: Record<string, unknown> = {}) => ({ form: 'w9', legal_name: 'Ana Smith', country: 'US', tin: TIN, address, signed_at: '2026-12-01T10:00:00Z', ...over });

describe('payout account (R8.3b)', () => {
  it('connects a PayPal account and shows it on the affiliate', async () => {
    const id = await newAffiliate();
    const res = await call('PUT', `/api/v1/affiliates/${id}/payout_account`, { paypal_email: ' ana@paypal.example ' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ paypal_email: 'ana@paypal.example' });
    const again = await call('PUT', `/api/v1/affiliates/${id}/payout_account`, { paypal_email: 'ana2@paypal.example' });
    expect(again.statusCode).toBe(200);
    expect(await countRows(t.database, 'payout_accounts')).toBe(1);
    const read = await call('GET', `/api/v1/affiliates/${id}`);
    expect(read.json().payout_account).toEqual({ paypal_email: 'ana2@paypal.example' });
  });

  it('refuses a malformed email (422) and an unknown affiliate (404), storing nothing', async () => {
    const id = await newAffiliate();
    const before = await countRows(t.database, 'payout_accounts');
    const bad = await call('PUT', `/api/v1/affiliates/${id}/payout_account`, { paypal_email: 'not-an-email' });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.json().errors[0].field).toBe('paypal_email');
    const unknown = await call('PUT', '/api/v1/affiliates/aff_nobody/payout_account', { paypal_email: 'x@example.com' });
    expect(unknown.statusCode).toBe(404);
    expect(await countRows(t.database, 'payout_accounts')).toBe(before);
  });
});

describe('tax form (R8.3a)', () => {
  it('stores a complete W-9 with the TIN sealed, shows it complete with a masked TIN', async () => {
    const id = await newAffiliate();
    const res = await call('PUT', `/api/v1/affiliates/${id}/tax_form`, w9({ federal_tax_classification: 'individual' }));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ form: 'w9', complete: true, missing: [], tin_masked: '***-**-6789' });
    const read = await call('GET', `/api/v1/affiliates/${id}`);
    expect(read.json().tax_form).toEqual({ form: 'w9', complete: true, missing: [], tin_masked: '***-**-6789' });
    expect((await call('GET', `/api/v1/affiliates/${id}/tax_form`)).json().tin_masked).toBe('***-**-6789');

    const row = await t.database.transaction(async (tx) => {
      const { taxForms } = await import('../../store/schema.js');
      const { eq } = await import('drizzle-orm');
      return (await tx.select().from(taxForms).where(eq(taxForms.affiliateId, id)))[0]!;
    });
    expect(JSON.stringify(row)).not.toContain(TIN_DIGITS);
    expect(JSON.stringify(row)).not.toContain(TIN);
    expect(row.tinLast4).toBe('6789');
    // AES-256-GCM under the server's key, bound to this affiliate.
    expect(decryptString(row.tinCiphertext!, t.context.secretKey!, tinAssociatedData(id))).toBe(TIN_DIGITS);
    expect(() => decryptString(row.tinCiphertext!, t.context.secretKey!, tinAssociatedData('aff_other'))).toThrow();
  });

  it('masks an EIN in its own shape and accepts a W-8BEN without a TIN', async () => {
    const business = await newAffiliate();
    const ein = await call('PUT', `/api/v1/affiliates/${business}/tax_form`, w9({ tin: '12-3456789', federal_tax_classification: 'c_corporation', business_name: 'Ana LLC' }));
    expect(ein.statusCode, ein.body).toBe(200);
    expect(ein.json().tin_masked).toBe('**-***6789');

    const foreign = await newAffiliate();
    const w8 = await call('PUT', `/api/v1/affiliates/${foreign}/tax_form`, {
      form: 'w8ben',
      legal_name: 'Jörg Müller',
      country: 'DE',
      address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' },
      signed_at: '2026-12-01T10:00:00Z',
      foreign_tin: 'DE-12345678901',
    });
    expect(w8.statusCode, w8.body).toBe(200);
    expect(w8.json()).toEqual({ form: 'w8ben', complete: true, missing: [], tin_masked: null });
    const all = await t.database.transaction(async (tx) => {
      const { taxForms } = await import('../../store/schema.js');
      return tx.select().from(taxForms);
    });
    expect(JSON.stringify(all)).not.toContain('12345678901');
  });

  it.each([
    ['lacks the TIN of a W-9', { tin: undefined }, 'tin'],
    ['has a malformed TIN', { tin: '123-45-678' }, 'tin'],
    ['has an SSN never issued (area 666)', { tin: '666-12-3456' }, 'tin'],
    ['lacks the address city', { address: { ...address, city: undefined } }, 'address.city'],
    ['lacks signed_at', { signed_at: undefined }, 'signed_at'],
    ['is a W-9 for a non-US person', { country: 'FR' }, 'country'],
    ['is signed in the future', { signed_at: '2030-01-01T00:00:00Z' }, 'signed_at'],
  ])('refuses a form that %s (422) and stores nothing, not even over an earlier form', async (_label, over, field) => {
    const id = await newAffiliate();
    const first = await call('PUT', `/api/v1/affiliates/${id}/tax_form`, w9({ legal_name: 'First Form' }));
    expect(first.statusCode).toBe(200);
    const before = await countRows(t.database, 'tax_forms');
    const res = await call('PUT', `/api/v1/affiliates/${id}/tax_form`, w9({ legal_name: 'Second Form', ...over }));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 422, code: 'tax_form_invalid' });
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await countRows(t.database, 'tax_forms')).toBe(before);
    const stored = await t.database.transaction(async (tx) => {
      const { taxForms } = await import('../../store/schema.js');
      const { eq } = await import('drizzle-orm');
      return (await tx.select().from(taxForms).where(eq(taxForms.affiliateId, id)))[0]!;
    });
    expect(stored.legalName).toBe('First Form');
  });

  it('refuses malformed JSON (400) and a non-object body (422)', async () => {
    const id = await newAffiliate();
    const malformed = await call('PUT', `/api/v1/affiliates/${id}/tax_form`, '{"form": "w9",');
    expect(malformed.statusCode).toBe(400);
    const array = await call('PUT', `/api/v1/affiliates/${id}/tax_form`, [1, 2]);
    expect(array.statusCode).toBe(422);
  });
});

describe('affiliate sessions (config.affiliate + assertActingFor)', () => {
  it('lets an affiliate set their own payment settings, and answers 404 for anyone else’s', async () => {
    const me = await signUpAffiliate(t);
    const other = await newAffiliate();
    const own = await me.call('PUT', `/api/v1/affiliates/${me.id}/payout_account`, { paypal_email: 'me@paypal.example' });
    expect(own.statusCode, own.body).toBe(200);
    const form = await me.call('PUT', `/api/v1/affiliates/${me.id}/tax_form`, w9());
    expect(form.statusCode, form.body).toBe(200);
    responses.push(form.body);
    const before = await countRows(t.database, 'payout_accounts');
    const theirs = await me.call('PUT', `/api/v1/affiliates/${other}/payout_account`, { paypal_email: 'steal@paypal.example' });
    expect(theirs.statusCode).toBe(404);
    expect((await me.call('PUT', `/api/v1/affiliates/${other}/tax_form`, w9())).statusCode).toBe(404);
    expect(await countRows(t.database, 'payout_accounts')).toBe(before);
  });
});

describe('the TIN never leaves in full', () => {
  it('appears in no response and no log line', async () => {
    // Read everything back once more, admin side, so the reading paths are covered too.
    const list = await t.database.transaction(async (tx) => {
      const { taxForms } = await import('../../store/schema.js');
      return tx.select({ id: taxForms.affiliateId }).from(taxForms);
    });
    for (const { id } of list) {
      await call('GET', `/api/v1/affiliates/${id}`);
      await call('GET', `/api/v1/affiliates/${id}/tax_form`);
    }
    await call('GET', '/api/v1/reports/1099-nec.csv?year=2027&threshold=0');
    expect(responses.length).toBeGreaterThan(20);
    expect(logLines.length).toBeGreaterThan(20);
    for (const text of [...responses, ...logLines]) {
      expect(text).not.toContain(TIN);
      expect(text).not.toContain(TIN_DIGITS);
      expect(text).not.toContain('12-3456789');
    }
  });
});
