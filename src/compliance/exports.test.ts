// Proves the PayPal mass-payment file and the 1099-NEC worksheet are exact CSV, including values
// with commas, quotes and newlines, zero-decimal currencies and the reporting threshold.
import { describe, expect, it } from 'vitest';

import { csvField, toCsv } from './csv.js';
import { ExportError, form1099NecCsv, necThresholdMinor, paypalMassPaymentCsv, type NecPayee } from './exports.js';

describe('csv', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line1\nline2', '"line1\nline2"'],
    ['cr\r', '"cr\r"'],
    ['', ''],
    [' padded ', ' padded '],
  ])('quotes %j as %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('ends every record with CRLF', () => {
    expect(toCsv([['a', 1, null], ['b', undefined, 'c']])).toBe('a,1,\r\nb,,c\r\n');
  });
});

describe('paypalMassPaymentCsv', () => {
  it('writes receiver, decimal amount, upper-case currency, item id and note, with no header', () => {
    expect(
      paypalMassPaymentCsv([
        { receiverEmail: 'ana@example.com', amountMinor: 9900, currency: 'usd', itemId: 'pi_1', note: 'March 2027 commissions' },
        { receiverEmail: 'ken@example.jp', amountMinor: 4900, currency: 'JPY', itemId: 'pi_2', note: null },
        { receiverEmail: 'eva@example.hu', amountMinor: 150000, currency: 'huf', itemId: 'pi_3' },
        { receiverEmail: 'bo@example.com', amountMinor: 5, currency: 'EUR', itemId: 'pi_4', note: 'Thanks, "Bo"\nsee you' },
      ]),
    ).toBe(
      'ana@example.com,99.00,USD,pi_1,March 2027 commissions\r\n' +
        'ken@example.jp,4900,JPY,pi_2,\r\n' +
        'eva@example.hu,1500,HUF,pi_3,\r\n' +
        'bo@example.com,0.05,EUR,pi_4,"Thanks, ""Bo""\nsee you"\r\n',
    );
  });

  it('writes an email that starts with a formula character as is (PayPal reads this file, not a spreadsheet)', () => {
    expect(paypalMassPaymentCsv([{ receiverEmail: '-ana@example.com', amountMinor: 100, currency: 'USD', itemId: 'x' }])).toBe('-ana@example.com,1.00,USD,x,\r\n');
  });

  it('is empty for no items', () => {
    expect(paypalMassPaymentCsv([])).toBe('');
  });

  it('refuses lines PayPal would refuse or pay twice', () => {
    const ok = { receiverEmail: 'a@example.com', amountMinor: 100, currency: 'USD', itemId: 'x' };
    expect(() => paypalMassPaymentCsv([ok, ok])).toThrow(ExportError);
    expect(() => paypalMassPaymentCsv([{ ...ok, receiverEmail: ' ' }])).toThrow(ExportError);
    expect(() => paypalMassPaymentCsv([{ ...ok, itemId: '' }])).toThrow(ExportError);
    expect(() => paypalMassPaymentCsv([{ ...ok, amountMinor: 0 }])).toThrow();
    expect(() => paypalMassPaymentCsv([{ ...ok, amountMinor: 150050, currency: 'HUF' }])).toThrow();
  });
});

describe('form1099NecCsv', () => {
  const payee = (overrides: Partial<NecPayee>): NecPayee => ({
    affiliateId: 'aff_1',
    legalName: 'Ana Lopez',
    tin: '123-45-6789',
    address: { line1: '1 Main St', line2: 'Apt 2', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' },
    form: 'w9',
    totalPaidMinor: 60_000,
    currency: 'USD',
    ...overrides,
  });
  const header = 'tax_year,account_number,recipient_name,recipient_business_name,recipient_tin,address_line1,address_line2,city,state,zip,country,box1_nonemployee_compensation\r\n';

  it('lists US payees paid at least the threshold, with masked TINs by default', () => {
    const csv = form1099NecCsv(
      [
        payee({}),
        payee({ affiliateId: 'aff_2', legalName: 'Below Threshold', totalPaidMinor: 59_999 }),
        payee({ affiliateId: 'aff_3', legalName: 'Foreign Person', form: 'w8ben', totalPaidMinor: 900_000 }),
        payee({ affiliateId: 'aff_4', legalName: 'Acme, "The Best" LLC', businessName: 'Acme\nMedia', tin: '12-3456789', totalPaidMinor: 123_456 }),
      ],
      2025,
    );
    expect(csv).toBe(
      header +
        '2025,aff_4,"Acme, ""The Best"" LLC","Acme\nMedia",**-***6789,1 Main St,Apt 2,Springfield,IL,62701,US,1234.56\r\n' +
        '2025,aff_1,Ana Lopez,,***-**-6789,1 Main St,Apt 2,Springfield,IL,62701,US,600.00\r\n',
    );
  });

  it('includes the full TIN only when asked', () => {
    expect(form1099NecCsv([payee({})], 2025, { tin: 'full' })).toContain(',123-45-6789,');
  });

  it('uses the threshold of the payment year, or the one given', () => {
    expect(necThresholdMinor(2025)).toBe(60_000);
    expect(necThresholdMinor(2026)).toBe(200_000);
    expect(form1099NecCsv([payee({ totalPaidMinor: 150_000 })], 2026)).toBe(header);
    expect(form1099NecCsv([payee({ totalPaidMinor: 150_000 })], 2026, { thresholdMinor: 60_000 })).toContain(',1500.00\r\n');
    expect(form1099NecCsv([payee({ totalPaidMinor: 200_000 })], 2026)).toContain(',2000.00\r\n');
  });

  it('neutralises spreadsheet formulas in text cells unless told not to', () => {
    const evil = payee({ legalName: '=HYPERLINK("http://x","y")', address: { line1: '+1 Main', city: '@City', postal_code: '62701', country: 'US' } });
    const csv = form1099NecCsv([evil], 2025);
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csv).toContain(",'+1 Main,,'@City,,62701,");
    expect(form1099NecCsv([evil], 2025, { neutralizeFormulas: false })).toContain('"=HYPERLINK(');
  });

  it('refuses non-USD totals and bad years', () => {
    expect(() => form1099NecCsv([payee({ currency: 'EUR' })], 2025)).toThrow(ExportError);
    expect(() => form1099NecCsv([payee({ totalPaidMinor: 600.5 })], 2025)).toThrow(ExportError);
    expect(() => form1099NecCsv([], 25)).toThrow(ExportError);
  });
});
