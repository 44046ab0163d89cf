// R8.3a / R9.4: an affiliate's tax form (W-9 for US persons, W-8BEN for others). The PUT body is
// validated by the compliance module; a body that lacks a field of a complete form is refused
// whole and nothing is stored. The TIN (and a W-8BEN's foreign TIN) is sealed with AES-256-GCM
// under AFFABLE_SECRET_KEY, bound to the affiliate's id; only the TIN's last four digits are
// kept in clear, and no reader here ever returns more than a masked TIN.
import { eq } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { taxForms } from '../store/schema.js';
import { checkTin, completeness, parseTaxForm, type TinType } from '../compliance/tax-forms.js';
import { SecretBox } from '../compliance/secret-box.js';
import type { Clock } from './clock.js';
import { conflict, invalid } from './errors.js';
import { findAffiliate } from './affiliates.js';

export type TaxFormRow = typeof taxForms.$inferSelect;

/** What the API shows of a tax form (api.md: `complete`, never the TIN). */
export interface TaxFormView {
  form: string;
  complete: boolean;
  missing: string[];
  tin_masked: string | null;
}

/** Associated data binding a sealed TIN to its affiliate: copied onto another row, it fails to open. */
export const tinAssociatedData = (affiliateId: string, field: 'tin' | 'foreign_tin' = 'tin') => `tax_form:${affiliateId}:${field}`;

// The fields that make a form complete live in their own columns; everything else the real forms
// carry is kept in `fields`, minus the TINs, which never go there in clear.
const COLUMN_FIELDS = new Set(['form', 'legal_name', 'country', 'tin', 'address', 'signed_at', 'foreign_tin']);

/**
 * Validates and stores the affiliate's tax form, replacing any earlier one.
 * Throws 422 `tax_form_invalid` with `errors: [{field, message}]` (nothing stored), 404 for an
 * unknown affiliate, 409 `secret_key_missing` when a TIN must be sealed and no key is configured.
 */
export async function putTaxForm(tx: Tx, clock: Clock, secretKey: string | undefined, affiliateId: string, body: unknown): Promise<TaxFormRow> {
  await findAffiliate(tx, affiliateId);
  const now = clock.now();
  const parsed = parseTaxForm(body, now);
  if (!parsed.ok) throw invalid('tax_form_invalid', 'The tax form is incomplete or invalid; nothing was stored.', parsed.errors);
  const form = parsed.form;
  const foreignTin = form.form === 'w8ben' ? form.foreign_tin : undefined;
  if ((form.tin || foreignTin) && !secretKey) {
    throw conflict('secret_key_missing', 'TINs are stored encrypted, and this server has no AFFABLE_SECRET_KEY configured.');
  }
  const box = secretKey ? new SecretBox(secretKey) : null;

  let tinCiphertext: string | null = null;
  let tinLast4: string | null = null;
  let tinType: TinType | null = null;
  if (form.tin) {
    const tin = checkTin(form.tin, form.tin_type);
    // parseTaxForm has already refused a malformed TIN; this only reads its kind and digits.
    if (!tin.ok) throw invalid('tax_form_invalid', 'The tax form is incomplete or invalid; nothing was stored.', [{ field: 'tin', message: tin.message }]);
    tinCiphertext = box!.seal(tin.digits, tinAssociatedData(affiliateId));
    tinLast4 = tin.digits.slice(-4);
    tinType = tin.type;
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) if (!COLUMN_FIELDS.has(key) && value !== undefined) fields[key] = value;
  if (tinType) fields['tin_type'] = tinType;
  if (foreignTin) fields['foreign_tin_sealed'] = box!.seal(foreignTin, tinAssociatedData(affiliateId, 'foreign_tin'));

  const row: TaxFormRow = {
    affiliateId,
    form: form.form,
    legalName: form.legal_name,
    country: form.country,
    tinCiphertext,
    tinLast4,
    address: form.address,
    signedAt: new Date(form.signed_at),
    fields,
    complete: false,
    updatedAt: now,
  };
  row.complete = completenessOf(row).complete;
  const { affiliateId: _id, ...changes } = row;
  await tx.insert(taxForms).values(row).onConflictDoUpdate({ target: taxForms.affiliateId, set: changes });
  return row;
}

export async function findTaxForm(tx: Tx, affiliateId: string): Promise<TaxFormRow | null> {
  const rows = await tx.select().from(taxForms).where(eq(taxForms.affiliateId, affiliateId));
  return rows[0] ?? null;
}

/** api.md's completeness, recomputed from what is stored (the TIN counts through its ciphertext). */
export function completenessOf(row: TaxFormRow): { complete: boolean; missing: string[] } {
  return completeness({
    form: row.form,
    legal_name: row.legalName,
    country: row.country,
    tin_encrypted: row.tinCiphertext,
    address: row.address as Record<string, string | null>,
    signed_at: row.signedAt.toISOString(),
  });
}

/**
 * The TIN as shown anywhere: only its last four digits, in the shape of its kind.
 * `maskedTin({tinLast4: '6789', fields: {tin_type: 'ssn'}})` → `'***-**-6789'`; an EIN → `'**-***6789'`.
 */
export function maskedTin(row: Pick<TaxFormRow, 'tinLast4' | 'fields'>): string | null {
  if (!row.tinLast4) return null;
  const type = (row.fields as { tin_type?: TinType } | null)?.tin_type;
  return type === 'ein' ? `**-***${row.tinLast4}` : `***-**-${row.tinLast4}`;
}

export function taxFormView(row: TaxFormRow): TaxFormView {
  const { complete, missing } = completenessOf(row);
  return { form: row.form, complete, missing, tin_masked: maskedTin(row) };
}
