// Display formatting. Money arrives as integer minor units and is formatted with integer
// arithmetic (style §2: no floating point between the API and the screen).

const ZERO_DECIMAL = new Set(['jpy', 'krw', 'huf', 'twd', 'clp', 'vnd']);

export function currencyDigits(currency: string): number {
  return ZERO_DECIMAL.has(currency.toLowerCase()) ? 0 : 2;
}

const SYMBOLS: Record<string, string> = { usd: '$', eur: '€', gbp: '£', jpy: '¥', cad: 'CA$', aud: 'A$' };

/** 123456 usd → "$1,234.56"; -500 → "−$5.00". */
export function money(minor: number, currency = 'usd'): string {
  const digits = currencyDigits(currency);
  const negative = minor < 0;
  const abs = Math.abs(Math.trunc(minor));
  const scale = digits === 0 ? 1 : 100;
  const whole = Math.floor(abs / scale);
  const cents = abs % scale;
  const grouped = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const symbol = SYMBOLS[currency.toLowerCase()] ?? `${currency.toUpperCase()} `;
  const body = digits === 0 ? grouped : `${grouped}.${cents.toString().padStart(2, '0')}`;
  return `${negative ? '−' : ''}${symbol}${body}`;
}

/** Parses "1,234.56" into minor units without floating point; null when it is not an amount. */
export function parseMoney(text: string, currency = 'usd'): number | null {
  const digits = currencyDigits(currency);
  const clean = text.replace(/[,\s$€£¥]/g, '');
  const m = digits === 0 ? /^(\d+)$/.exec(clean) : /^(\d+)(?:\.(\d{1,2}))?$/.exec(clean);
  if (!m) return null;
  const whole = Number(m[1]);
  if (digits === 0) return whole;
  return whole * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** 2000 → "20%", 1250 → "12.5%". */
export function percent(bps: number): string {
  const whole = Math.floor(bps / 100);
  const rest = bps % 100;
  return rest === 0 ? `${whole}%` : `${whole}.${rest.toString().padStart(2, '0').replace(/0$/, '')}%`;
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-US', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short' });
}

export function shortDay(isoDate: string): string {
  return new Date(`${isoDate}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export function count(n: number): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export const TIER_NAMES: Record<string, string> = { referral: 'Referral', tier_1: 'Tier 1', tier_2: 'Tier 2', tier_3: 'Tier 3' };
export const tierName = (key: string | null | undefined) => (key ? (TIER_NAMES[key] ?? key) : '—');

/** "12.5" → 1250 basis points, without floating point; null when it is not a percentage. */
export function parsePercent(text: string): number | null {
  const m = /^\s*(\d{1,3})(?:\.(\d{1,2}))?\s*%?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** 1250 → "12.5" (for an input box). */
export function bpsInput(bps: number): string {
  return percent(bps).replace('%', '');
}

/** minor units → "1000.00" (for an input box). */
export function moneyInput(minor: number | null, currency = 'usd'): string {
  if (minor === null) return '';
  return money(minor, currency).replace(/[^\d.−-]/g, '');
}
