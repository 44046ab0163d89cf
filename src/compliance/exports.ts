// Files for people and other systems: PayPal's mass-payment upload (api.md
// `GET /api/v1/payout_runs/{id}/export.csv`) and a 1099-NEC worksheet for US payees.
import { neutralizeFormula, toCsv, type CsvCell } from './csv.js';
import { formatMinor, formatMinorForPayPal } from './money-format.js';
import { maskTin, type Address } from './tax-forms.js';

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

// ---------------------------------------------------------------------------------------------
// PayPal mass payment

export interface MassPaymentItem {
  receiverEmail: string;
  amountMinor: number;
  currency: string;
  /** Our payout item id: unique per line, so PayPal refuses a line uploaded twice. */
  itemId: string;
  note?: string | null;
}

/**
 * PayPal's mass-payment file (api.md): no header row; per item the receiver email, the amount as a
 * decimal (`99.00`; whole units for JPY, HUF, TWD), the currency code upper-case, the item's unique
 * id, and a note. RFC 4180 quoting, CRLF line ends. Cells are written exactly (no formula
 * neutralising): PayPal parses this file, and an email may legitimately start with `-` or `+`.
 *
 * `paypalMassPaymentCsv([{receiverEmail: 'ana@example.com', amountMinor: 9900, currency: 'usd', itemId: 'pi_1', note: 'March'}])`
 *   → `'ana@example.com,99.00,USD,pi_1,March\r\n'`
 */
export function paypalMassPaymentCsv(items: readonly MassPaymentItem[]): string {
  const seen = new Set<string>();
  const rows = items.map((item, index): CsvCell[] => {
    if (!item.receiverEmail.trim()) throw new ExportError(`Line ${index + 1}: the receiver email is empty.`);
    if (!item.itemId.trim()) throw new ExportError(`Line ${index + 1}: the item id is empty.`);
    if (seen.has(item.itemId)) throw new ExportError(`Line ${index + 1}: item id "${item.itemId}" repeats.`);
    seen.add(item.itemId);
    return [item.receiverEmail.trim(), formatMinorForPayPal(item.amountMinor, item.currency), item.currency.trim().toUpperCase(), item.itemId, item.note ?? ''];
  });
  return toCsv(rows);
}

// ---------------------------------------------------------------------------------------------
// 1099-NEC

export interface NecPayee {
  /** Our affiliate id: the payer's account number for this recipient (1099 "Account number"). */
  affiliateId: string;
  /** W-9 line 1. */
  legalName: string;
  /** W-9 line 2 (business / disregarded entity name), if any. */
  businessName?: string | null;
  /** The full TIN as decrypted by the caller. Masked in the output unless `tin: 'full'`. */
  tin: string;
  address: Pick<Address, 'line1' | 'city' | 'postal_code' | 'country'> & { line2?: string | null | undefined; state?: string | null | undefined };
  /** Only W-9 filers (US persons) are 1099 recipients; W-8BEN filers are skipped. */
  form: 'w9' | 'w8ben';
  /** Paid (not merely due) to the payee in the calendar year, in minor units of `currency`. */
  totalPaidMinor: number;
  currency: string;
}

export interface NecOptions {
  /** Include the full TIN (for the filing itself) or only its last four digits (default, for review). */
  tin?: 'masked' | 'full';
  /** Report payees paid at least this much (USD cents). Default: {@link necThresholdMinor}(year). */
  thresholdMinor?: number;
  /** Prefix cells a spreadsheet would run as a formula with `'`. Default true: people open this file. */
  neutralizeFormulas?: boolean;
}

/**
 * The 1099-NEC filing threshold for payments made in `year`, in USD cents: $600 through 2025;
 * $2,000 for payments made after 31 December 2025 (One Big Beautiful Bill Act §70433, amending
 * 26 U.S.C. §6041), indexed for inflation from 2027. For 2027 on, pass the IRS's published figure
 * as `thresholdMinor`; until then this returns the 2026 figure.
 */
export function necThresholdMinor(year: number): number {
  return year <= 2025 ? 60_000 : 200_000;
}

export const NEC_COLUMNS = [
  'tax_year',
  'account_number',
  'recipient_name',
  'recipient_business_name',
  'recipient_tin',
  'address_line1',
  'address_line2',
  'city',
  'state',
  'zip',
  'country',
  'box1_nonemployee_compensation',
] as const;

/**
 * A 1099-NEC worksheet with a header row ({@link NEC_COLUMNS}): one line per US payee (W-9 filer)
 * paid at least the threshold in `year`, sorted by name; box 1 as a decimal (`1234.56`). Amounts
 * must be USD: the form is filed in dollars, so another currency is an error, not a conversion.
 *
 * Note for the operator: payments made through a payment settlement entity such as PayPal are
 * generally reported by that entity on Form 1099-K, not by the payer on 1099-NEC (IRS
 * instructions for 1099-MISC/NEC); this worksheet supports that review, it is not the filing.
 */
export function form1099NecCsv(payees: readonly NecPayee[], year: number, options: NecOptions = {}): string {
  if (!Number.isInteger(year) || year < 2020 || year > 9999) throw new ExportError(`Not a tax year: ${year}.`);
  const threshold = options.thresholdMinor ?? necThresholdMinor(year);
  const neutralize = options.neutralizeFormulas ?? true;
  const cell = (value: string | null | undefined) => (value ? (neutralize ? neutralizeFormula(value) : value) : '');
  const reported = payees
    .filter((payee) => payee.form === 'w9')
    .map((payee) => {
      if (payee.currency.trim().toUpperCase() !== 'USD') {
        throw new ExportError(`Payee ${payee.affiliateId}: 1099-NEC amounts are in USD, got ${payee.currency}.`);
      }
      if (!Number.isSafeInteger(payee.totalPaidMinor)) throw new ExportError(`Payee ${payee.affiliateId}: the total is not an integer amount.`);
      return payee;
    })
    .filter((payee) => payee.totalPaidMinor >= threshold)
    .sort((a, b) => (a.legalName < b.legalName ? -1 : a.legalName > b.legalName ? 1 : a.affiliateId < b.affiliateId ? -1 : 1));
  const rows: CsvCell[][] = [
    [...NEC_COLUMNS],
    ...reported.map((payee): CsvCell[] => [
      String(year),
      payee.affiliateId,
      cell(payee.legalName),
      cell(payee.businessName),
      options.tin === 'full' ? payee.tin : maskTin(payee.tin),
      cell(payee.address.line1),
      cell(payee.address.line2),
      cell(payee.address.city),
      cell(payee.address.state),
      cell(payee.address.postal_code),
      payee.address.country,
      formatMinor(payee.totalPaidMinor, 'USD'),
    ]),
  ];
  return toCsv(rows);
}
