// Proves which tax forms are accepted and complete (R8.3a, api.md tax_form), and that TINs are
// validated and masked.
import { describe, expect, it } from 'vitest';

import { checkTin, completeness, formForCitizenship, maskTin, parseTaxForm, treatyClaimGaps, type TaxForm } from './tax-forms.js';

const NOW = new Date('2027-03-15T12:00:00Z');
const address = { line1: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const w9 = { form: 'w9', legal_name: 'Ana Lopez', country: 'US', tin: '123-45-6789', address, signed_at: '2027-03-01T10:00:00Z' };
const w8ben = {
  form: 'w8ben',
  legal_name: 'Jonas Weber',
  country: 'DE',
  address: { line1: 'Hauptstraße 5', city: 'Berlin', postal_code: '10115', country: 'DE' },
  signed_at: '2027-03-01T10:00:00Z',
};

function errorsOf(body: unknown) {
  const result = parseTaxForm(body, NOW);
  return result.ok ? [] : result.errors;
}

describe('formForCitizenship', () => {
  it('gives a W-9 to US persons and a W-8BEN to everyone else (R8.3)', () => {
    expect(formForCitizenship(true)).toBe('w9');
    expect(formForCitizenship(false)).toBe('w8ben');
  });
});

describe('parseTaxForm', () => {
  it('accepts a minimal W-9 and a minimal W-8BEN', () => {
    expect(parseTaxForm(w9, NOW)).toMatchObject({ ok: true, form: { form: 'w9', country: 'US' } });
    expect(parseTaxForm(w8ben, NOW)).toMatchObject({ ok: true, form: { form: 'w8ben', country: 'DE' } });
  });

  it('accepts the optional fields of the real forms', () => {
    const full9 = {
      ...w9,
      tin: '12-3456789',
      tin_type: 'ein',
      federal_tax_classification: 'llc',
      llc_tax_classification: 's',
      business_name: 'Lopez Media LLC',
      exempt_payee_code: '5',
      fatca_exemption_code: 'a',
    };
    expect(parseTaxForm(full9, NOW)).toMatchObject({ ok: true, form: { fatca_exemption_code: 'A', federal_tax_classification: 'llc' } });
    const full8 = {
      ...w8ben,
      citizenship_country: 'de',
      date_of_birth: '1990-04-01',
      foreign_tin: 'DE 12 345 678 901',
      mailing_address: { line1: 'Postfach 1', city: 'Berlin', postal_code: '10117', country: 'DE' },
      treaty_country: 'DE',
      treaty_article: '7',
      treaty_rate_bps: 0,
      treaty_income_type: 'Business profits (affiliate commissions)',
    };
    expect(parseTaxForm(full8, NOW)).toMatchObject({ ok: true, form: { citizenship_country: 'DE' } });
  });

  it('normalises classification aliases and country case, and ignores unknown fields', () => {
    const result = parseTaxForm({ ...w9, country: 'us', federal_tax_classification: 'Individual/Sole Proprietor', favourite_colour: 'red' }, NOW);
    expect(result).toMatchObject({ ok: true, form: { country: 'US', federal_tax_classification: 'individual' } });
    expect(result.ok && 'favourite_colour' in result.form).toBe(false);
  });

  it.each([
    ['no tin on a W-9', { ...w9, tin: undefined }, 'tin'],
    ['no legal_name', { ...w9, legal_name: undefined }, 'legal_name'],
    ['blank legal_name', { ...w9, legal_name: '   ' }, 'legal_name'],
    ['no address', { ...w9, address: undefined }, 'address'],
    ['no postal code', { ...w9, address: { ...address, postal_code: undefined } }, 'address.postal_code'],
    ['no signed_at', { ...w8ben, signed_at: undefined }, 'signed_at'],
    ['signed_at not an instant', { ...w8ben, signed_at: 'yesterday' }, 'signed_at'],
    ['signed in the future', { ...w8ben, signed_at: '2027-04-01T00:00:00Z' }, 'signed_at'],
    ['unknown form', { ...w9, form: 'w8ben-e' }, 'form'],
    ['a W-9 for a non-US person', { ...w9, country: 'DE' }, 'country'],
    ['a W-8BEN for a US person', { ...w8ben, country: 'US' }, 'country'],
    ['a bad country code', { ...w8ben, country: 'Germany' }, 'country'],
    ['an LLC without its tax classification', { ...w9, tin: '12-3456789', federal_tax_classification: 'llc' }, 'llc_tax_classification'],
    ['an LLC classification on an individual', { ...w9, federal_tax_classification: 'individual', llc_tax_classification: 'c' }, 'llc_tax_classification'],
    ['an SSN for a C corporation', { ...w9, federal_tax_classification: 'c_corporation' }, 'tin'],
    ['an unknown classification', { ...w9, federal_tax_classification: 'wizard' }, 'federal_tax_classification'],
    ['a malformed TIN on a W-8BEN', { ...w8ben, tin: '12345' }, 'tin'],
    ['a date of birth in the future', { ...w8ben, date_of_birth: '2030-01-01' }, 'date_of_birth'],
    ['a treaty rate above 100%', { ...w8ben, treaty_rate_bps: 10_001 }, 'treaty_rate_bps'],
    ['a fractional treaty rate', { ...w8ben, treaty_rate_bps: 15.5 }, 'treaty_rate_bps'],
  ])('refuses %s', (_name, body, field) => {
    expect(errorsOf(body).map((e) => e.field)).toContain(field);
  });

  it('refuses a body that is not an object', () => {
    expect(errorsOf(null).length).toBeGreaterThan(0);
    expect(errorsOf('w9').length).toBeGreaterThan(0);
  });
});

describe('checkTin', () => {
  it.each([
    ['123-45-6789', undefined, 'ssn'],
    ['123456789', undefined, 'ssn'],
    ['912-70-1234', undefined, 'itin'],
    ['900-50-1234', 'itin', 'itin'],
    ['12-3456789', undefined, 'ein'],
    ['123456789', 'ein', 'ein'],
  ] as const)('accepts %s (%s) as %s', (tin, type, expected) => {
    expect(checkTin(tin, type)).toMatchObject({ ok: true, type: expected });
  });

  it.each([
    ['000-12-3456', 'area 000'],
    ['666-12-3456', 'area 666'],
    ['900-12-3456', 'area 9xx that is not an ITIN'],
    ['987-45-4321', 'area 9xx with group 45, not an ITIN'],
    ['123-00-4567', 'group 00'],
    ['123-45-0000', 'serial 0000'],
    ['912-70-1234 ssn', 'garbage'],
    ['12-345-6789', 'wrong grouping'],
    ['1234567890', 'ten digits'],
    ['00-1234567', 'EIN prefix 00'],
    ['07-1234567', 'EIN prefix 07'],
    ['12-0000000', 'EIN serial 0'],
  ])('refuses %s (%s)', (tin) => {
    expect(checkTin(tin).ok).toBe(false);
  });

  it('refuses a TIN whose shape contradicts tin_type', () => {
    expect(checkTin('12-3456789', 'ssn').ok).toBe(false);
    expect(checkTin('123-45-6789', 'ein').ok).toBe(false);
    expect(checkTin('912-70-1234', 'ssn').ok).toBe(false);
    expect(checkTin('123-45-6789', 'itin').ok).toBe(false);
  });
});

describe('maskTin', () => {
  it.each([
    ['123-45-6789', '***-**-6789'],
    ['123456789', '*****6789'],
    ['12-3456789', '**-***6789'],
    ['6789', '****'],
    ['', ''],
  ])('%s → %s', (tin, masked) => {
    expect(maskTin(tin)).toBe(masked);
  });
});

describe('completeness', () => {
  it('is complete for a full W-9 (TIN stored encrypted) and a W-8BEN without TIN', () => {
    expect(completeness({ ...w9, tin: undefined, tin_encrypted: 'v1:a:b:c' })).toEqual({ complete: true, missing: [] });
    expect(completeness(w8ben)).toEqual({ complete: true, missing: [] });
  });

  it('lists what is missing', () => {
    expect(completeness({ ...w9, tin: null })).toEqual({ complete: false, missing: ['tin'] });
    expect(completeness({ form: 'w9', country: 'US', address: { line1: '1 Main St', line2: null } })).toEqual({
      complete: false,
      missing: ['legal_name', 'tin', 'address.city', 'address.postal_code', 'address.country', 'signed_at'],
    });
    expect(completeness(null).missing).toEqual(['form', 'legal_name', 'country', 'address.line1', 'address.city', 'address.postal_code', 'address.country', 'signed_at']);
  });

  it('is incomplete when the form does not match the person (R8.3)', () => {
    expect(completeness({ ...w9, country: 'DE' }).complete).toBe(false);
    expect(completeness({ ...w8ben, country: 'US' }).complete).toBe(false);
  });
});

describe('treatyClaimGaps', () => {
  it('lists the fields a partial treaty claim lacks', () => {
    const parsed = parseTaxForm({ ...w8ben, treaty_country: 'DE' }, NOW);
    expect(parsed.ok).toBe(true);
    expect(treatyClaimGaps((parsed as { form: TaxForm }).form)).toEqual(['treaty_article', 'treaty_rate_bps', 'treaty_income_type']);
    expect(treatyClaimGaps((parseTaxForm(w8ben, NOW) as { form: TaxForm }).form)).toEqual([]);
  });
});
