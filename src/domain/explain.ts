// Plain-English reasons for a commission (R5.6 transparency; R4.5 so admins see why a sale was
// rejected). Built only from what the commission stored and its entries: no recomputation.
import type { CreditSource } from './facts.js';
import { commissionState, commissionTotals, type Commission, type LedgerEntry } from './ledger.js';
import { formatBps, formatMinor } from './money.js';
import { isoOf, type Instant } from './time.js';

export interface ExplainContext {
  /** The commission's entries (others are ignored). */
  entries: readonly LedgerEntry[];
  now: Instant;
  currency: string;
  holdDays: number;
  cookieDays?: number;
}

function money(amountMinor: number, currency: string): string {
  return `${formatMinor(amountMinor)} ${currency.toUpperCase()}`;
}

function sourceLine(source: CreditSource, cookieDays: number | undefined): string {
  switch (source.type) {
    case 'click': {
      const window = cookieDays === undefined ? 'its cookie window' : `its ${cookieDays}-day cookie window`;
      const link = source.linkId ? ` on tracking link ${source.linkId}` : '';
      return `click ${source.clickId}${link} at ${isoOf(source.clickedAt)}, the last click within ${window} (R2.2)`;
    }
    case 'referral_code':
      return `referral code "${source.code}" passed with the event (an explicit code has no window)`;
    case 'reassignment':
      return `an admin reassignment${source.fromAffiliateId ? ` from ${source.fromAffiliateId}` : ''} ("${source.reason}", R3.2)`;
  }
}

/**
 * Explains a commission in plain English, one reason per line: what credited it, the tier and why,
 * the rate and whether first or recurring, the amount, and when it clears or why it was
 * rejected or reversed.
 * @example explain(commission, { entries, now, currency: 'usd', holdDays: 45 })
 * // ['Credited to aff_a for payment pay_1 of 99.00 USD on 2027-01-03T10:00:00.000Z.', ...]
 */
export function explain(commission: Commission, context: ExplainContext): string[] {
  const { basis, affiliateId } = commission;
  const currency = context.currency;
  // As of `now`: later entries have not happened yet from this point of view.
  const entries = context.entries.filter((entry) => entry.commissionId === commission.id && entry.at <= context.now);
  const lines: string[] = [];
  const paymentLine = `payment ${commission.paymentId} of ${money(basis.paymentAmountMinor, currency)} on ${isoOf(commission.earnedAt)}`;
  if (commission.kind === 'jv') {
    lines.push(`JV commission for ${affiliateId} on ${paymentLine}, a full-price sale credited to their recruit ${basis.recruitAffiliateId ?? 'unknown'} (R6.1; one level only, R6.2).`);
    lines.push(`The recruit's subscription ${commission.subscriptionId} was credited by ${sourceLine(basis.source, context.cookieDays)}.`);
    lines.push(`Rate ${formatBps(commission.rateBps)}: the program's JV rate of the payment amount, whatever the recruit's own rate (R6.1).`);
  } else {
    lines.push(`Credited to ${affiliateId} for ${paymentLine}.`);
    if (basis.binding === 'existing') {
      lines.push(`Subscription ${commission.subscriptionId} has been bound to ${affiliateId} since ${isoOf(basis.boundAt)} by ${sourceLine(basis.source, context.cookieDays)}; every rebill follows the binding (R3.1).`);
    } else if (basis.binding === 'reassignment') {
      lines.push(`Re-created for ${affiliateId} at the original payment time when subscription ${commission.subscriptionId} was moved to them by ${sourceLine(basis.source, context.cookieDays)}.`);
    } else {
      lines.push(`This payment bound subscription ${commission.subscriptionId} to ${affiliateId} (R3.1) through ${sourceLine(basis.source, context.cookieDays)}.`);
    }
    lines.push(
      `Tier ${basis.tier.key} at the payment: trailing revenue ${money(basis.tier.trailingRevenueMinor, currency)} from ${basis.tier.distinctCustomers} distinct customer(s), counting sales past their hold within the 12 months before, strictly before this payment (R5.1, R5.3).`,
    );
    const kind = basis.rateKind === 'first' ? `the first full-price payment of a ${basis.interval}ly subscription` : `a recurring ${basis.interval}ly payment`;
    lines.push(`Rate ${formatBps(commission.rateBps)}: tier ${basis.tier.key}'s rate for ${kind} (R5, R5.5).`);
  }
  if (commission.status === 'rejected') {
    const signals = basis.selfReferralSignals.map((signal) => (signal === 'customer_id' ? 'the customer id is the affiliate\'s own' : signal === 'email' ? 'the customer\'s e-mail is the affiliate\'s (case and spaces ignored)' : 'the card fingerprint was seen on the affiliate\'s own payment'));
    lines.push(`Rejected as a self-referral: ${signals.join('; ')}. It earns nothing and its recruiter earns nothing (R4.5, R6.4).`);
    return lines;
  }
  lines.push(`Amount ${money(commission.amountMinor, currency)} = ${formatBps(commission.rateBps)} of ${money(basis.paymentAmountMinor, currency)}, rounded half-up to the minor unit.`);
  for (const entry of entries) {
    if (entry.type === 'reverse') {
      const why = entry.reason === 'dispute' ? 'a chargeback' : entry.reason === 'reassignment' ? `a reassignment ("${entry.ref ?? ''}")` : `a refund (${money(Number(entry.ref ?? 0), currency)} refunded in total)`;
      lines.push(`Reversed ${money(-entry.amountMinor, currency)} on ${isoOf(entry.at)} because of ${why} (R4.3).`);
    } else if (entry.type === 'payout') {
      lines.push(`Paid ${money(-entry.amountMinor, currency)} on ${isoOf(entry.at)} in payout run ${entry.ref ?? ''} (R8).`);
    }
  }
  const state = commissionState(commission, entries, context.now);
  const totals = commissionTotals(entries, context.now);
  switch (state) {
    case 'reserve':
      lines.push(`In reserve until ${isoOf(commission.dueAt)}: the ${context.holdDays}-day hold after the payment (R4.2).`);
      break;
    case 'due':
      lines.push(`Due since ${isoOf(commission.dueAt)} (${money(totals.outstanding, currency)} outstanding); paid in the first monthly run whose month begins after that (R8.1).`);
      break;
    case 'paid':
      lines.push(totals.outstanding < 0 ? `Paid; ${money(-totals.outstanding, currency)} reversed since is deducted from the next payout (R7.1).` : 'Paid in full.');
      break;
    case 'reversed':
      lines.push(totals.paid > 0 ? `Reversed after it was paid: ${money(-totals.outstanding, currency)} is deducted from the next payout (R4.3, R7.1).` : 'Reversed in full: it earns nothing (R4.3).');
      break;
    case 'rejected':
      break;
  }
  return lines;
}
