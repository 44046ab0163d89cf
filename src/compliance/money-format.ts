// Money as text, with integer arithmetic only (style §2: money is an integer in minor units;
// never parseFloat "99.00" to get cents). Amounts are ISO 4217 minor units: 4900 USD is $49.00,
// 4900 JPY is ¥4900. This belongs with the domain's money rules; it lives here until
// src/domain/money.ts exists, and has no I/O so it can move there as is.

/**
 * ISO 4217 currencies whose minor unit is not 2 decimals. Everything else has 2.
 * Source: the ISO 4217 list (exponent column); only currencies in real use are listed.
 */
const EXPONENT_OVERRIDES: Readonly<Record<string, number>> = {
  // Zero-decimal currencies.
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0,
  UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  // Three-decimal currencies.
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

/**
 * Currencies that have cents in ISO 4217 but that PayPal refuses with decimals ("This currency
 * does not support decimals. Decimal amounts cause an error": PayPal's currency codes page lists
 * HUF, JPY and TWD; JPY already has exponent 0). A PayPal amount in these must be whole units.
 */
const PAYPAL_WHOLE_UNITS_ONLY: ReadonlySet<string> = new Set(['HUF', 'TWD']);

export class MoneyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyFormatError';
  }
}

function normalizeCurrency(currency: string): string {
  const code = currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) throw new MoneyFormatError(`Not an ISO 4217 currency code: "${currency}".`);
  return code;
}

function assertMinor(amountMinor: number): void {
  if (!Number.isSafeInteger(amountMinor)) {
    throw new MoneyFormatError(`An amount in minor units must be a safe integer, got ${String(amountMinor)}.`);
  }
}

/** How many decimals the currency's minor unit has: `currencyExponent('usd')` → 2, `('JPY')` → 0. */
export function currencyExponent(currency: string): number {
  return EXPONENT_OVERRIDES[normalizeCurrency(currency)] ?? 2;
}

/**
 * An amount in minor units as a plain decimal string, no symbol, no grouping.
 * `formatMinor(4900, 'usd')` → `"49.00"`; `formatMinor(5, 'USD')` → `"0.05"`;
 * `formatMinor(4900, 'JPY')` → `"4900"`; `formatMinor(-105, 'EUR')` → `"-1.05"`.
 */
export function formatMinor(amountMinor: number, currency: string): string {
  assertMinor(amountMinor);
  return formatWithExponent(amountMinor, currencyExponent(currency));
}

function formatWithExponent(amountMinor: number, exponent: number): string {
  const sign = amountMinor < 0 ? '-' : '';
  const digits = String(Math.abs(amountMinor));
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/**
 * The `amount.value` PayPal accepts for a positive amount: like {@link formatMinor}, except that
 * HUF and TWD go without decimals and must therefore be whole units.
 * `formatMinorForPayPal(9900, 'USD')` → `"99.00"`; `(150000, 'HUF')` → `"1500"`; `(150050, 'HUF')` throws.
 */
export function formatMinorForPayPal(amountMinor: number, currency: string): string {
  assertMinor(amountMinor);
  const code = normalizeCurrency(currency);
  if (amountMinor <= 0) throw new MoneyFormatError('A PayPal payout amount must be positive.');
  if (!PAYPAL_WHOLE_UNITS_ONLY.has(code)) return formatMinor(amountMinor, code);
  const unit = 10 ** currencyExponent(code);
  if (amountMinor % unit !== 0) {
    throw new MoneyFormatError(`PayPal takes ${code} in whole units only; ${amountMinor} minor units has a fraction.`);
  }
  return String(amountMinor / unit);
}

/**
 * A decimal string back to minor units, by string surgery (never parseFloat).
 * `parseDecimalToMinor('99.00', 'USD')` → `9900`; `('6.5', 'USD')` → `650`; `('1500', 'HUF')` → `150000`;
 * more decimals than the currency has (`'1.005'` in USD) throws rather than rounding.
 */
export function parseDecimalToMinor(value: string, currency: string): number {
  const exponent = currencyExponent(currency);
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new MoneyFormatError(`Not a decimal amount: "${value}".`);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > exponent) {
    throw new MoneyFormatError(`"${value}" has more decimals than ${normalizeCurrency(currency)} allows.`);
  }
  const minor = Number(whole + fraction.padEnd(exponent, '0').slice(0, exponent));
  assertMinor(minor);
  return sign === '-' && minor !== 0 ? -minor : minor;
}
