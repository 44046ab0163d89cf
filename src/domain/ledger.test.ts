// Proves R4.2/R4.3/R7: states and balances derived only from entries and the clock; refunds in
// the hold, after due and after paid; chargebacks; cumulative partial refunds; JV reversal; and
// that `assertLedgerInvariants` catches broken ledgers.
import { describe, expect, it } from 'vitest';
import { replay } from './engine.js';
import { InvariantError } from './errors.js';
import { assertLedgerInvariants, balances, balancesByAffiliate, commissionState, type Commission, type LedgerEntry } from './ledger.js';
import { affiliate, click, days, disputed, entriesFor, flatPlan, history, kartra, ofAffiliate, only, paid, payoutRun, refunded, t } from './test-helpers.js';

const jan3 = t('2027-01-03T10:00:00Z');
const due = t('2027-02-17T10:00:00Z');
const program = kartra({ plan: flatPlan(2000) });
const affiliates = [affiliate('aff_r'), affiliate('aff_a', { recruitedBy: 'aff_r' })];
const sale = [click('clk_1', 'aff_a', jan3), paid('pay_1', 'sub_1', 9900, jan3, { clickId: 'clk_1' })];
const run = (...events: Parameters<typeof history>[1]) => replay(history(affiliates, [...sale, ...events], program));

describe('R4.2 states over time, from entries and the clock only', () => {
  const result = run(payoutRun('2027-03', t('2027-03-15')));
  const commission = only(result, 'pay_1');
  it.each([
    ['during the hold', jan3 + days(1), 'reserve'],
    ['1 ms before the hold passes', due - 1, 'reserve'],
    ['when payment time + 45 days ≤ now', due, 'due'],
    ['after the March run paid it', t('2027-03-15'), 'paid'],
  ])('%s → %s', (_name, now, state) => expect(commissionState(commission, result.entries, now)).toBe(state));
  it.each([
    [jan3 + days(1), { reserve: 1980, due: 0, paid: 0 }],
    [due, { reserve: 0, due: 1980, paid: 0 }],
    [t('2027-03-15'), { reserve: 0, due: 0, paid: 1980 }],
  ])('R7.1 balance at %i', (now, balance) => expect(balances(result.entries, ofAffiliate(result, 'aff_a'), now)).toEqual(balance));
});

describe('R4.3 refunds and chargebacks reverse with new entries', () => {
  it('a refund during the hold cancels the commission (and the recruiter’s JV, R6.1)', () => {
    const result = run(refunded('pay_1', jan3 + days(29)));
    for (const kind of ['direct', 'jv'] as const) {
      const commission = only(result, 'pay_1', kind);
      expect(entriesFor(result, commission.id).map((entry) => [entry.type, entry.amountMinor, entry.reason])).toEqual([
        ['earn', commission.amountMinor, 'payment'],
        ['reverse', -commission.amountMinor, 'refund'],
      ]);
      expect(commissionState(commission, result.entries, jan3 + days(30))).toBe('reversed');
    }
    expect(balances(result.entries, ofAffiliate(result, 'aff_a'), jan3 + days(30))).toEqual({ reserve: 0, due: 0, paid: 0 });
    expect(balances(result.entries, ofAffiliate(result, 'aff_r'), due)).toEqual({ reserve: 0, due: 0, paid: 0 });
  });

  it('a refund after due (unpaid) reduces due', () => {
    const result = run(refunded('pay_1', due + days(2)));
    expect(balances(result.entries, ofAffiliate(result, 'aff_a'), due + days(1))).toEqual({ reserve: 0, due: 1980, paid: 0 });
    expect(balances(result.entries, ofAffiliate(result, 'aff_a'), due + days(3))).toEqual({ reserve: 0, due: 0, paid: 0 });
    expect(result.runs).toEqual([]);
  });

  it('a refund after paid is a negative due; paid keeps what was sent (R7.1); the next run nets it (R8.1)', () => {
    const result = run(
      payoutRun('2027-03', t('2027-03-15')),
      refunded('pay_1', t('2027-03-20')),
      click('clk_2', 'aff_a', t('2027-03-21')),
      paid('pay_2', 'sub_2', 20_000, t('2027-03-21'), { clickId: 'clk_2' }),
      payoutRun('2027-06', t('2027-06-15')),
    );
    const commission = only(result, 'pay_1');
    expect(commissionState(commission, result.entries, t('2027-03-21'))).toBe('reversed');
    expect(balances(result.entries, ofAffiliate(result, 'aff_a'), t('2027-03-21'))).toEqual({ reserve: 4000, due: -1980, paid: 1980 });
    const june = result.runs[1]?.run.items.find((item) => item.affiliateId === 'aff_a');
    expect(june).toMatchObject({ amountMinor: 4000 - 1980, lines: [{ commissionId: commission.id, amountMinor: -1980 }, { commissionId: only(result, 'pay_2').id, amountMinor: 4000 }] });
    expect(balances(result.entries, ofAffiliate(result, 'aff_a'), t('2027-06-16'))).toEqual({ reserve: 0, due: 0, paid: 1980 + 2020 });
  });

  it('a chargeback reverses in full with reason dispute', () => {
    const result = run(disputed('pay_1', jan3 + days(10)));
    expect(entriesFor(result, only(result, 'pay_1').id).at(-1)).toMatchObject({ type: 'reverse', amountMinor: -1980, reason: 'dispute' });
    expect(result.sales.get('aff_a')?.[0]?.refunds).toEqual([{ amountMinor: 9900, at: jan3 + days(10) }]);
  });

  it('partial refunds reverse proportionally and cumulatively, never more than the commission', () => {
    const result = replay(
      history(affiliates, [click('clk_1', 'aff_a', jan3), paid('pay_1', 'sub_1', 9999, jan3, { clickId: 'clk_1' }), refunded('pay_1', jan3 + days(1), 3333), refunded('pay_1', jan3 + days(2), 3333), refunded('pay_1', jan3 + days(3), 3333), refunded('pay_1', jan3 + days(4), 500)], program),
    );
    const direct = only(result, 'pay_1');
    expect(direct.amountMinor).toBe(2000); // 1999.8 → 2000
    // applyRateBps(3333) = 667; (6666) = 1333 → 666; (9999) = 2000 → 667; the 4th refund exceeds the payment: nothing.
    expect(entriesFor(result, direct.id).filter((e) => e.type === 'reverse').map((e) => e.amountMinor)).toEqual([-667, -666, -667]);
    const jv = only(result, 'pay_1', 'jv');
    expect(jv.amountMinor).toBe(1000);
    expect(entriesFor(result, jv.id).filter((e) => e.type === 'reverse').map((e) => e.amountMinor)).toEqual([-333, -334, -333]);
  });

  it('a partial refund leaves the rest in reserve, then due', () => {
    const result = run(refunded('pay_1', jan3 + days(5), 4950));
    expect(balances(result.entries, ofAffiliate(result, 'aff_a'), jan3 + days(6))).toEqual({ reserve: 990, due: 0, paid: 0 });
    expect(commissionState(only(result, 'pay_1'), result.entries, due)).toBe('due');
  });

  it('a refund of a payment never seen or not attributed changes nothing (api.md)', () => {
    const result = run(refunded('pay_unknown', jan3 + days(1)), paid('pay_organic', 'sub_9', 5000, jan3), refunded('pay_organic', jan3 + days(2)));
    expect(result.entries).toHaveLength(2);
  });
});

describe('balancesByAffiliate equals balances per affiliate', () => {
  it('for a mixed ledger', () => {
    const result = run(payoutRun('2027-03', t('2027-03-15')), refunded('pay_1', t('2027-03-20'), 1000));
    const now = t('2027-03-21');
    const all = balancesByAffiliate(result.entries, result.commissions, now);
    for (const id of ['aff_a', 'aff_r']) expect(all.get(id)).toEqual(balances(result.entries, ofAffiliate(result, id), now));
  });
});

describe('assertLedgerInvariants catches broken ledgers', () => {
  const result = run(payoutRun('2027-03', t('2027-03-15')));
  const commissions = result.commissions;
  const entries = result.entries;
  const direct = only(result, 'pay_1');
  const earn = entries.find((entry) => entry.commissionId === direct.id && entry.type === 'earn') as LedgerEntry;
  const payout = entries.find((entry) => entry.commissionId === direct.id && entry.type === 'payout') as LedgerEntry;
  it('accepts the real one', () => expect(() => assertLedgerInvariants(commissions, entries)).not.toThrow());
  it.each<[string, Commission[], LedgerEntry[]]>([
    ['a second earn entry', commissions, [...entries, { ...earn, id: 'dup' }]],
    ['a reversal beyond what was earned', commissions, [...entries, { ...earn, id: 'r1', type: 'reverse', amountMinor: -1981 }]],
    ['a positive reversal', commissions, [...entries, { ...earn, id: 'r2', type: 'reverse', amountMinor: 5 }]],
    ['paying it twice', commissions, [...entries, { ...payout, id: 'p2' }]],
    ['a payout before due', commissions, [...entries.filter((e) => e !== payout), { ...payout, at: jan3 }]],
    ['an entry of an unknown commission', commissions, [...entries, { ...earn, id: 'x', commissionId: 'nope' }]],
    ['an entry for another affiliate', commissions, [...entries.filter((e) => e !== earn), { ...earn, affiliateId: 'aff_r' }]],
    ['an earn entry that differs from the amount', commissions, [...entries.filter((e) => e !== earn), { ...earn, amountMinor: 1979 }]],
    ['a duplicate entry id', commissions, [...entries, { ...entries[0]! }]],
    ['a rejected commission with an amount', commissions.map((c) => (c.id === direct.id ? { ...c, status: 'rejected' as const } : c)), entries],
    ['a duplicate commission', [...commissions, direct], entries],
  ])('refuses %s', (_name, brokenCommissions, brokenEntries) => {
    expect(() => assertLedgerInvariants(brokenCommissions, brokenEntries)).toThrow(InvariantError);
  });
});
