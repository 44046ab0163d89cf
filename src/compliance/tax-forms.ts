// Tax information for payouts (R8.3a: an affiliate is paid only when tax information is complete:
// a W-9 for US persons, a W-8BEN for others, chosen by citizenship status) and the body of
// `PUT /api/v1/affiliates/{id}/tax_form` (api.md).
//
// Field meanings, decided here and documented for the API reference:
// - `country` is the person's country for tax purposes (ISO 3166-1 alpha-2): the country of
//   citizenship or tax residence. It decides the form: "US" (a US citizen or resident alien, a
//   "US person") files a W-9; anyone else files a W-8BEN. So a `w9` with a non-US `country` and
//   a `w8ben` with `country: "US"` are refused (422): the form does not match the person.
// - `address.country` is where they live and may differ: a US citizen abroad files a W-9 with a
//   foreign address.
// - `tin` is the US taxpayer id (SSN, ITIN or EIN). Required on a W-9; optional on a W-8BEN
//   (line 5, needed only for a treaty claim in some cases). A foreign id goes in `foreign_tin`.
// - Treaty rates are integer basis points (`treaty_rate_bps: 1500` = 15%), per style §2.
// - Unknown fields are ignored (stripped, never stored); the real forms' optional fields are
//   accepted as api.md asks. A field that is present must be well-formed.
import { z } from 'zod';

/** One validation problem, in api.md's 422 shape (same as FieldError in src/app/errors.ts). */
export interface FieldError {
  field: string;
  message: string;
}

export type TaxFormKind = 'w9' | 'w8ben';

/** R8.3: the form follows citizenship status. `formForCitizenship(true)` → `'w9'`. */
export function formForCitizenship(isUsPerson: boolean): TaxFormKind {
  return isUsPerson ? 'w9' : 'w8ben';
}

// ---------------------------------------------------------------------------------------------
// TIN rules

export type TinType = 'ssn' | 'itin' | 'ein';

// EIN prefixes the IRS has never assigned (IRS "How EINs are assigned and valid EIN prefixes").
const INVALID_EIN_PREFIXES: ReadonlySet<string> = new Set(['00', '07', '08', '09', '17', '18', '19', '28', '29', '49', '69', '70', '78', '79', '89', '96', '97']);

function itinGroupValid(group: number): boolean {
  // ITINs start with 9; the 4th–5th digits fall in 50–65, 70–88, 90–92 or 94–99.
  return (group >= 50 && group <= 65) || (group >= 70 && group <= 88) || (group >= 90 && group <= 92) || (group >= 94 && group <= 99);
}

/**
 * Validates a US TIN and tells which kind it is, or why it is refused.
 * `###-##-####` (or 9 bare digits) is an SSN, or an ITIN when it starts with 9; `##-#######` is an
 * EIN. `tinType` forces the reading of 9 bare digits. SSNs with area 000, 666 or 900–999, group 00
 * or serial 0000 are never issued and are refused.
 *
 * `checkTin('123-45-6789')` → `{ok: true, type: 'ssn', digits: '123456789'}`;
 * `checkTin('000-12-3456')` → `{ok: false, message: …}`.
 */
export function checkTin(tin: string, tinType?: TinType): { ok: true; type: TinType; digits: string } | { ok: false; message: string } {
  const text = tin.trim();
  const ssnShaped = /^\d{3}-\d{2}-\d{4}$/.test(text);
  const einShaped = /^\d{2}-\d{7}$/.test(text);
  const bare = /^\d{9}$/.test(text);
  if (!ssnShaped && !einShaped && !bare) {
    return { ok: false, message: 'must be an SSN or ITIN (###-##-####), an EIN (##-#######), or 9 digits' };
  }
  const digits = text.replace(/-/g, '');
  // Dashes decide the kind; only 9 bare digits are read through tin_type.
  const kind: TinType = einShaped || (bare && tinType === 'ein') ? 'ein' : digits.startsWith('9') ? 'itin' : 'ssn';
  if (tinType && (tinType === 'ein') !== (kind === 'ein')) {
    return { ok: false, message: `is shaped like ${kind === 'ein' ? 'an EIN' : 'an SSN'} but tin_type is ${tinType}` };
  }
  if (kind === 'ein') {
    if (INVALID_EIN_PREFIXES.has(digits.slice(0, 2))) return { ok: false, message: 'is not a valid EIN (unassigned prefix)' };
    if (digits.slice(2) === '0000000') return { ok: false, message: 'is not a valid EIN' };
    return { ok: true, type: 'ein', digits };
  }
  const area = digits.slice(0, 3);
  const group = Number(digits.slice(3, 5));
  const serial = digits.slice(5);
  if (kind === 'itin') {
    if (!itinGroupValid(group)) return { ok: false, message: 'is not a valid SSN (area 9xx) or ITIN' };
    if (tinType === 'ssn') return { ok: false, message: 'is not a valid SSN (area 9xx is never issued)' };
    return { ok: true, type: 'itin', digits };
  }
  if (tinType === 'itin') return { ok: false, message: 'is not a valid ITIN (an ITIN starts with 9)' };
  if (area === '000' || area === '666') return { ok: false, message: `is not a valid SSN (area ${area} is never issued)` };
  if (group === 0) return { ok: false, message: 'is not a valid SSN (group 00 is never issued)' };
  if (serial === '0000') return { ok: false, message: 'is not a valid SSN (serial 0000 is never issued)' };
  return { ok: true, type: 'ssn', digits };
}

/**
 * Every digit but the last four becomes `*`; separators stay.
 * `maskTin('123-45-6789')` → `'***-**-6789'`; `maskTin('12-3456789')` → `'**-***6789'`.
 */
export function maskTin(tin: string): string {
  const total = (tin.match(/\d/g) ?? []).length;
  let seen = 0;
  return tin.replace(/\d/g, (digit) => (++seen > total - 4 && total > 4 ? digit : '*'));
}

// ---------------------------------------------------------------------------------------------
// Schemas

const text = (max: number) => z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`);
const countryCode = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code, e.g. "US"'));

export const AddressSchema = z.object({
  line1: text(200),
  line2: text(200).optional(),
  city: text(100),
  /** State, province or region; for a US address the 2-letter USPS code. */
  state: text(100).optional(),
  postal_code: text(20),
  country: countryCode,
});
export type Address = z.infer<typeof AddressSchema>;

const isoDate = z.iso.date('must be a date, YYYY-MM-DD');

const common = {
  legal_name: text(200),
  country: countryCode,
  tin: z.string().trim().min(1, 'is required').max(20).optional(),
  tin_type: z.enum(['ssn', 'itin', 'ein']).optional(),
  address: AddressSchema,
  signed_at: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 instant, e.g. 2027-03-01T12:00:00Z' }),
};

const CLASSIFICATION_ALIASES: Readonly<Record<string, string>> = {
  sole_proprietor: 'individual',
  individual_sole_proprietor: 'individual',
  'individual/sole_proprietor': 'individual',
  single_member_llc: 'individual',
  trust: 'trust_estate',
  estate: 'trust_estate',
};

/** W-9 line 3a. `individual` is "Individual/sole proprietor" (aliases accepted, any case). */
export const FederalTaxClassification = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const key = value.trim().toLowerCase().replace(/[\s-]+/g, '_');
    return CLASSIFICATION_ALIASES[key] ?? key;
  },
  z.enum(['individual', 'c_corporation', 's_corporation', 'partnership', 'trust_estate', 'llc', 'other'], {
    error: 'must be one of individual, c_corporation, s_corporation, partnership, trust_estate, llc, other',
  }),
);

export const W9Schema = z.object({
  form: z.literal('w9'),
  ...common,
  federal_tax_classification: FederalTaxClassification.optional(),
  /** Only for an LLC: how it is taxed (C corporation, S corporation, partnership). */
  llc_tax_classification: z.enum(['c', 's', 'p']).optional(),
  other_classification: text(100).optional(),
  business_name: text(200).optional(),
  exempt_payee_code: z.string().trim().regex(/^([1-9]|1[0-3])$/, 'must be an exempt payee code 1–13').optional(),
  fatca_exemption_code: z.string().trim().toUpperCase().regex(/^[A-M]$/, 'must be a FATCA exemption code A–M').optional(),
});

export const W8BenSchema = z.object({
  form: z.literal('w8ben'),
  ...common,
  citizenship_country: countryCode.optional(),
  mailing_address: AddressSchema.optional(),
  foreign_tin: text(50).optional(),
  date_of_birth: isoDate.optional(),
  treaty_country: countryCode.optional(),
  treaty_article: text(50).optional(),
  treaty_rate_bps: z.number().int().min(0).max(10_000).optional(),
  treaty_income_type: text(200).optional(),
});

/**
 * The PUT body. Besides each field's shape it enforces the relations between fields:
 * the form matches `country`, a W-9 has a valid TIN, and an LLC says how it is taxed. (A treaty
 * claim's fields stay individually optional, as api.md says; `treatyClaimGaps` lists what a
 * partial claim lacks, for the portal to warn about.)
 */
export const TaxFormSchema = z
  .discriminatedUnion('form', [W9Schema, W8BenSchema], { error: 'form must be "w9" or "w8ben"' })
  .superRefine((form, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (form.form === 'w9') {
      if (form.country !== 'US') issue(['country'], 'a W-9 is for US persons: country must be "US" (others file a W-8BEN)');
      if (!form.tin) issue(['tin'], 'is required on a W-9');
      const classification = form.federal_tax_classification;
      if (classification === 'llc' && !form.llc_tax_classification) issue(['llc_tax_classification'], 'is required when federal_tax_classification is "llc"');
      if (classification !== 'llc' && form.llc_tax_classification) issue(['llc_tax_classification'], 'is only for federal_tax_classification "llc"');
      if (classification === 'other' && !form.other_classification) issue(['other_classification'], 'is required when federal_tax_classification is "other"');
      if (form.tin) {
        const tin = checkTin(form.tin, form.tin_type);
        if (!tin.ok) issue(['tin'], tin.message);
        // A corporation or a partnership has an EIN; an SSN there is a mistake in the form.
        else if (tin.type !== 'ein' && (classification === 'c_corporation' || classification === 's_corporation' || classification === 'partnership')) {
          issue(['tin'], `must be an EIN for a ${classification.replace('_', ' ')}`);
        }
      }
    } else {
      if (form.country === 'US') issue(['country'], 'a W-8BEN is for foreign persons: US persons file a W-9');
      if (form.tin) {
        const tin = checkTin(form.tin, form.tin_type);
        if (!tin.ok) issue(['tin'], tin.message);
      }
      if (form.treaty_country === 'US') issue(['treaty_country'], 'must be the treaty partner country, not the US');
    }
  });

export type TaxForm = z.infer<typeof TaxFormSchema>;

const TREATY_FIELDS = ['treaty_country', 'treaty_article', 'treaty_rate_bps', 'treaty_income_type'] as const;

/**
 * The W-8BEN Part II fields a partial treaty claim lacks (a claim needs all four); empty when no
 * claim is made or it is whole. `treatyClaimGaps({form: 'w8ben', treaty_country: 'DE', …})`
 *   → `['treaty_article', 'treaty_rate_bps', 'treaty_income_type']`
 */
export function treatyClaimGaps(form: TaxForm): string[] {
  if (form.form !== 'w8ben') return [];
  const given = TREATY_FIELDS.filter((field) => form[field] !== undefined);
  return given.length === 0 ? [] : TREATY_FIELDS.filter((field) => form[field] === undefined);
}
export type W9Form = z.infer<typeof W9Schema>;
export type W8BenForm = z.infer<typeof W8BenSchema>;

/** How far in the future a signature may be dated, for clock skew. */
const SIGNED_AT_SKEW_MS = 5 * 60_000;

/**
 * Parses a PUT body into a valid form or field errors (`[{field, message}]`, api.md's 422 shape;
 * `field` is a dotted path such as `address.postal_code`). Nothing is stored on failure.
 */
export function parseTaxForm(body: unknown, now: Date): { ok: true; form: TaxForm } | { ok: false; errors: FieldError[] } {
  const parsed = TaxFormSchema.safeParse(body);
  const errors: FieldError[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'body', message: i.message }));
  if (parsed.success) {
    if (Date.parse(parsed.data.signed_at) > now.getTime() + SIGNED_AT_SKEW_MS) errors.push({ field: 'signed_at', message: 'must not be in the future' });
    const dob = parsed.data.form === 'w8ben' ? parsed.data.date_of_birth : undefined;
    if (dob && Date.parse(`${dob}T00:00:00Z`) > now.getTime()) errors.push({ field: 'date_of_birth', message: 'must not be in the future' });
  }
  return parsed.success && errors.length === 0 ? { ok: true, form: parsed.data } : { ok: false, errors };
}

// ---------------------------------------------------------------------------------------------
// Completeness

/**
 * What a stored form may look like: any subset of the fields. The TIN is stored encrypted, so it
 * counts as present when either `tin` or `tin_encrypted` is a non-empty string.
 */
export interface StoredTaxForm {
  form?: string | null;
  legal_name?: string | null;
  country?: string | null;
  tin?: string | null;
  tin_encrypted?: string | null;
  address?: Partial<Record<keyof Address, string | null>> | null;
  signed_at?: string | null;
}

const filled = (value: unknown) => typeof value === 'string' && value.trim() !== '';

/**
 * Which fields a complete form still lacks (api.md: form, legal_name, country, address, signed_at,
 * and tin for a w9; line2 and state are optional). Also false when the form does not match
 * `country` (R8.3: W-9 for US persons, W-8BEN for others).
 *
 * `completeness({form: 'w9', legal_name: 'Ana', country: 'US', address: {...}, signed_at: '…'})`
 *   → `{complete: false, missing: ['tin']}`
 */
export function completeness(form: StoredTaxForm | null | undefined): { complete: boolean; missing: string[] } {
  const missing: string[] = [];
  const kind = form?.form;
  if (kind !== 'w9' && kind !== 'w8ben') missing.push('form');
  if (!filled(form?.legal_name)) missing.push('legal_name');
  if (!filled(form?.country)) missing.push('country');
  if (kind === 'w9' && !filled(form?.tin) && !filled(form?.tin_encrypted)) missing.push('tin');
  for (const field of ['line1', 'city', 'postal_code', 'country'] as const) {
    if (!filled(form?.address?.[field])) missing.push(`address.${field}`);
  }
  if (!filled(form?.signed_at)) missing.push('signed_at');
  const country = form?.country?.trim().toUpperCase();
  const matches = !country || kind === undefined || kind === null || (kind === 'w9') === (country === 'US');
  if (!matches) missing.push(kind === 'w9' ? 'form (a non-US person files a w8ben)' : 'form (a US person files a w9)');
  return { complete: missing.length === 0, missing };
}
