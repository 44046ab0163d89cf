// Files for people and other systems: a run's PayPal mass-payment file, and the 1099-NEC
// worksheet of US payees (W-9 filers) paid at or above the threshold in a calendar year.
import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { ledgerEntries, programs, taxForms } from '../store/schema.js';
import { form1099NecCsv, paypalMassPaymentCsv, type NecPayee } from '../compliance/exports.js';
import type { Address } from '../compliance/tax-forms.js';
import { notFound } from './errors.js';
import { maskedTin } from './tax-forms.js';
import { payoutNote, type PayoutRunDetail } from './payout-runs.js';

/** api.md `export.csv`: one line per item: receiver, amount, currency, the item's id, a note. */
export function payoutRunCsv(detail: PayoutRunDetail): string {
  const note = payoutNote(detail.program.slug, detail.run.month);
  return paypalMassPaymentCsv(
    detail.items.map((item) => ({ receiverEmail: item.receiver, amountMinor: item.amount, currency: item.currency, itemId: item.id, note })),
  );
}

/**
 * The 1099-NEC worksheet for `year`: per US payee, what payouts actually sent in that calendar
 * year (the ledger's payout entries, in each program's time), USD programs only (the form is
 * filed in dollars). TINs are masked: only their last four digits are ever shown.
 */
export async function necWorksheet(tx: Tx, year: number, options: { program?: string | undefined; thresholdMinor?: number | undefined } = {}): Promise<string> {
  const usdPrograms = await tx
    .select({ id: programs.id, slug: programs.slug })
    .from(programs)
    .where(and(eq(programs.currency, 'usd'), options.program ? eq(programs.slug, options.program) : undefined));
  if (options.program && usdPrograms.length === 0) {
    const any = await tx.select({ id: programs.id }).from(programs).where(eq(programs.slug, options.program));
    if (!any[0]) throw notFound('program', options.program);
  }
  const from = new Date(Date.UTC(year, 0, 1));
  const to = new Date(Date.UTC(year + 1, 0, 1));
  const totals = new Map<string, number>();
  if (usdPrograms.length > 0) {
    const payouts = await tx
      .select({ affiliateId: ledgerEntries.affiliateId, amount: ledgerEntries.amount })
      .from(ledgerEntries)
      .where(
        and(
          inArray(
            ledgerEntries.programId,
            usdPrograms.map((p) => p.id),
          ),
          eq(ledgerEntries.type, 'payout'),
          gte(ledgerEntries.at, from),
          lt(ledgerEntries.at, to),
        ),
      );
    // A payout entry is −(what was sent); a netted clawback makes one positive. Their sum is the pay.
    for (const entry of payouts) totals.set(entry.affiliateId, (totals.get(entry.affiliateId) ?? 0) - entry.amount);
  }
  const ids = [...totals.keys()];
  const forms = ids.length ? await tx.select().from(taxForms).where(and(inArray(taxForms.affiliateId, ids), eq(taxForms.form, 'w9'))) : [];
  const payees: NecPayee[] = forms.map((form) => {
    const address = form.address as Address;
    const fields = form.fields as { business_name?: string };
    return {
      affiliateId: form.affiliateId,
      legalName: form.legalName,
      businessName: fields.business_name ?? null,
      // Masked at the source: the worksheet never needs, and never gets, the full TIN.
      tin: maskedTin(form) ?? '',
      address: { line1: address.line1, line2: address.line2 ?? null, city: address.city, state: address.state ?? null, postal_code: address.postal_code, country: address.country },
      form: 'w9',
      totalPaidMinor: totals.get(form.affiliateId) ?? 0,
      currency: 'USD',
    };
  });
  // `tin: 'full'` writes the given value as is, and the value given is already masked (maskTin of
  // a value with only four digits would hide those too).
  return form1099NecCsv(payees, year, { tin: 'full', ...(options.thresholdMinor !== undefined ? { thresholdMinor: options.thresholdMinor } : {}) });
}
