// Proves R8: the page's own example (R8.2), the cutoff, netting, no minimum, withholding for a
// missing tax form or PayPal account with nothing lost (R8.3), failed items staying due (R8.4), and
// that composing from pre-summed outstanding amounts, with what the run skips left out, is the same run.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { replay } from './engine.js';
import { InvariantError, isDomainError } from './errors.js';
import { balances } from './ledger.js';
import { assertMonthStarted, composePayoutRun, composePayoutRunFromOutstanding, outstandingOf, payoutEntries } from './payouts.js';
import { affiliate, click, flatPlan, history, kartra, ofAffiliate, only, paid, payoutRun, refunded, t } from './test-helpers.js';

const program = kartra({ plan: flatPlan(8000) });
const sale = (id: string, affiliateId: string, at: number, amountMinor = 10_000) => [click(`clk_${id}`, affiliateId, at), paid(id, `sub_${id}`, amountMinor, at, { clickId: `clk_${id}` })];

describe('R8.2 the page’s example: sales on January 3 and January 17', () => {
  const events = [...sale('pay_jan3', 'aff_a', t('2027-01-03T10:00:00Z')), ...sale('pay_jan17', 'aff_a', t('2027-01-17T10:00:00Z'))];
  const result = replay(history([affiliate('aff_a')], events, program));
  const jan3 = only(result, 'pay_jan3');
  const jan17 = only(result, 'pay_jan17');
  it('each nets $80 and clears 45 days later: Feb 17 and Mar 3', () => {
    expect([jan3.amountMinor, jan17.amountMinor]).toEqual([8000, 8000]);
    expect(jan3.dueAt).toBe(t('2027-02-17T10:00:00Z'));
    expect(jan17.dueAt).toBe(t('2027-03-03T10:00:00Z'));
  });
  const compose = (month: string) => composePayoutRun({ month, commissions: result.commissions, entries: result.entries, affiliates: result.payees });
  it.each([
    ['2027-02', []],
    ['2027-03', ['pay_jan3']],
    ['2027-04', ['pay_jan3', 'pay_jan17']],
  ])('the %s run (before anything was paid) includes %j', (month, payments) => {
    const ids = compose(month).items.flatMap((item) => item.commissionIds);
    expect(ids).toEqual(payments.map((payment) => only(result, payment).id));
  });
  it('paid month by month: Jan 3 in the March run, Jan 17 in the April run', () => {
    const paidOut = replay(history([affiliate('aff_a')], [...events, payoutRun('2027-02', t('2027-02-15')), payoutRun('2027-03', t('2027-03-15')), payoutRun('2027-04', t('2027-04-15'))], program));
    expect(paidOut.runs.map((run) => [run.month, run.run.items.map((item) => [item.affiliateId, item.amountMinor, item.commissionIds])])).toEqual([
      ['2027-02', []],
      ['2027-03', [['aff_a', 8000, [jan3.id]]]],
      ['2027-04', [['aff_a', 8000, [jan17.id]]]],
    ]);
  });
});

describe('R8.1 cutoff, netting, no minimum', () => {
  it('a commission due exactly at the month’s first instant waits for the next run', () => {
    const at = t('2027-03-01') - 45 * 86_400_000;
    const result = replay(history([affiliate('aff_a')], sale('pay_1', 'aff_a', at), program));
    expect(composePayoutRun({ month: '2027-03', commissions: result.commissions, entries: result.entries, affiliates: result.payees }).items).toEqual([]);
    expect(composePayoutRun({ month: '2027-04', commissions: result.commissions, entries: result.entries, affiliates: result.payees }).items).toHaveLength(1);
  });

  it('no minimum: one cent is paid', () => {
    const result = replay(history([affiliate('aff_a')], [...sale('pay_1', 'aff_a', t('2027-01-03'), 1), payoutRun('2027-03', t('2027-03-15'))], kartra({ plan: flatPlan(10000) })));
    expect(result.runs[0]?.run.items).toEqual([expect.objectContaining({ affiliateId: 'aff_a', amountMinor: 1 })]);
  });

  it('a negative net gives no item and carries to later runs until covered', () => {
    const result = replay(
      history(
        [affiliate('aff_a')],
        [
          ...sale('pay_1', 'aff_a', t('2027-01-03'), 10_000),
          payoutRun('2027-03', t('2027-03-15')),
          refunded('pay_1', t('2027-03-20')), // −8000 clawback
          ...sale('pay_2', 'aff_a', t('2027-03-21'), 5_000), // +4000, due May 5
          payoutRun('2027-06', t('2027-06-15')), // net −4000: no item
          ...sale('pay_3', 'aff_a', t('2027-06-16'), 10_000), // +8000, due Jul 31
          payoutRun('2027-08', t('2027-08-15')), // net +4000
        ],
        program,
      ),
    );
    expect(result.runs[1]?.run.items).toEqual([]);
    expect(result.runs[2]?.run.items).toEqual([expect.objectContaining({ amountMinor: 4000, commissionIds: [only(result, 'pay_1').id, only(result, 'pay_2').id, only(result, 'pay_3').id] })]);
    expect(balances(result.entries, ofAffiliate(result, 'aff_a'), t('2027-08-16'))).toEqual({ reserve: 0, due: 0, paid: 8000 + 4000 });
  });

  it('commissions locked in an unfinished run are left out', () => {
    const result = replay(history([affiliate('aff_a')], [...sale('pay_1', 'aff_a', t('2027-01-03')), ...sale('pay_2', 'aff_a', t('2027-01-04'))], program));
    const run = composePayoutRun({ month: '2027-04', commissions: result.commissions, entries: result.entries, affiliates: result.payees, lockedCommissionIds: [only(result, 'pay_1').id] });
    expect(run.items.flatMap((item) => item.commissionIds)).toEqual([only(result, 'pay_2').id]);
  });

  it('api.md: a month whose first day is ahead is refused', () => {
    expect(() => assertMonthStarted('2027-03', t('2027-03-01'))).not.toThrow();
    let caught: unknown;
    try {
      assertMonthStarted('2027-03', t('2027-03-01') - 1);
    } catch (error) {
      caught = error;
    }
    expect(isDomainError(caught, 'payout_month_not_started')).toBe(true);
    const result = replay(history([affiliate('aff_a')], [payoutRun('2027-05', t('2027-04-30'))], program));
    expect(result.outcomes[0]?.error?.code).toBe('payout_month_not_started');
    expect(result.runs).toEqual([]);
  });
});

describe('R8.3 withheld until tax form and PayPal account are complete; nothing lost', () => {
  const affiliates = [affiliate('aff_a', { taxFormComplete: false }), affiliate('aff_b', { payoutAccount: null }), affiliate('aff_c', { taxFormComplete: false, payoutAccount: null })];
  const result = replay(
    history(
      affiliates,
      [
        ...sale('pay_a', 'aff_a', t('2027-01-03')),
        ...sale('pay_b', 'aff_b', t('2027-01-03')),
        ...sale('pay_c', 'aff_c', t('2027-01-03')),
        payoutRun('2027-03', t('2027-03-15')),
        { type: 'payee.updated', affiliateId: 'aff_a', at: t('2027-04-02'), taxFormComplete: true },
        ...sale('pay_a2', 'aff_a', t('2027-02-01')),
        payoutRun('2027-04', t('2027-04-15')),
      ],
      program,
    ),
  );
  it('the March run withholds each with its reasons', () => {
    expect(result.runs[0]?.run.items).toEqual([]);
    expect(result.runs[0]?.run.withheld.map((w) => [w.affiliateId, w.amountMinor, w.reasons])).toEqual([
      ['aff_a', 8000, ['tax_form_missing']],
      ['aff_b', 8000, ['payout_account_missing']],
      ['aff_c', 8000, ['tax_form_missing', 'payout_account_missing']],
    ]);
  });
  it('once the tax form is complete, the April run pays everything that waited', () => {
    const april = result.runs[1]?.run;
    expect(april?.items).toEqual([expect.objectContaining({ affiliateId: 'aff_a', amountMinor: 16_000, commissionIds: [only(result, 'pay_a').id, only(result, 'pay_a2').id] })]);
    expect(april?.withheld.map((w) => w.affiliateId)).toEqual(['aff_b', 'aff_c']);
    expect(balances(result.entries, ofAffiliate(result, 'aff_a'), t('2027-04-16'))).toEqual({ reserve: 0, due: 0, paid: 16_000 });
  });
  it('an affiliate unknown to the payee list is withheld for both reasons', () => {
    const run = composePayoutRun({ month: '2027-03', commissions: result.commissions, entries: result.entries, affiliates: [] });
    expect(run.withheld.find((w) => w.affiliateId === 'aff_b')?.reasons).toEqual(['tax_form_missing', 'payout_account_missing']);
  });
});

describe('R8.4 failed items append nothing and return to due', () => {
  it('a failed item is due again and paid by a later run, once', () => {
    const result = replay(history([affiliate('aff_a')], [...sale('pay_1', 'aff_a', t('2027-01-03')), payoutRun('2027-03', t('2027-03-15'), ['aff_a']), payoutRun('2027-04', t('2027-04-15'))], program));
    expect(result.runs[0]?.failedAffiliateIds).toEqual(['aff_a']);
    expect(result.entries.filter((entry) => entry.type === 'payout').map((entry) => [entry.ref, entry.amountMinor])).toEqual([['run_2027-04', -8000]]);
    expect(balances(result.entries, ofAffiliate(result, 'aff_a'), t('2027-04-16'))).toEqual({ reserve: 0, due: 0, paid: 8000 });
  });
  it('payoutEntries refuses an item whose amount is not the sum of its lines', () => {
    expect(() => payoutEntries({ affiliateId: 'aff_a', amountMinor: 10, commissionIds: ['c'], lines: [{ commissionId: 'c', amountMinor: 9 }] }, { runId: 'r', at: 0 })).toThrow(InvariantError);
  });
  it('payoutEntries refuses paying a commission before it is due, when told the commissions', () => {
    const result = replay(history([affiliate('aff_a')], sale('pay_1', 'aff_a', t('2027-01-03')), program));
    const commission = only(result, 'pay_1');
    const item = { affiliateId: 'aff_a', amountMinor: 8000, commissionIds: [commission.id], lines: [{ commissionId: commission.id, amountMinor: 8000 }] };
    expect(() => payoutEntries(item, { runId: 'r', at: commission.dueAt - 1, commissions: new Map([[commission.id, commission]]) })).toThrow(InvariantError);
    expect(payoutEntries(item, { runId: 'r', at: commission.dueAt, commissions: new Map([[commission.id, commission]]) })).toEqual([
      { id: `ent_${commission.id}.payout.r`, commissionId: commission.id, affiliateId: 'aff_a', type: 'payout', amountMinor: -8000, at: commission.dueAt, reason: 'payout', ref: 'r' },
    ]);
  });
});

describe('composing from outstanding amounts (what the app sums in SQL)', () => {
  const affiliates = [affiliate('aff_a'), affiliate('aff_b', { payoutAccount: null }), affiliate('aff_c')];
  const result = replay(
    history(
      affiliates,
      [
        ...sale('pay_1', 'aff_a', t('2027-01-03'), 10_000),
        ...sale('pay_2', 'aff_b', t('2027-01-05'), 7_000),
        ...sale('pay_3', 'aff_c', t('2027-01-20'), 3_000), // due Mar 6: after the March cutoff
        ...sale('pay_4', 'aff_a', t('2027-02-01'), 1), // one cent's commission rounds to 1
        ...sale('pay_5', 'aff_c', t('2027-03-01'), 20_000),
        refunded('pay_5', t('2027-03-02')), // reversed in reserve: outstanding 0
        payoutRun('2027-03', t('2027-03-15')),
        refunded('pay_1', t('2027-03-20'), 4_000), // a partial clawback of a paid commission
        ...sale('pay_6', 'aff_c', t('2027-05-01'), 5_000),
      ],
      program,
    ),
  );
  const months = ['2027-03', '2027-04', '2027-05', '2027-06', '2027-07'];

  it('outstandingOf sums every entry of each commission, clawbacks included', () => {
    const byPayment = new Map(outstandingOf(result.commissions, result.entries).map((o) => [result.commissions.find((c) => c.id === o.commissionId)!.paymentId, o.outstandingMinor]));
    expect(Object.fromEntries(byPayment)).toEqual({ pay_1: -3200, pay_2: 5600, pay_3: 2400, pay_4: 1, pay_5: 0, pay_6: 4000 });
  });

  it('leaving out any commission the run would skip (settled, due later, locked) changes nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...months), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (month, drop, lock) => {
        const locked = result.commissions.filter((_, index) => lock[index]).map((c) => c.id);
        const full = composePayoutRun({ month, commissions: result.commissions, entries: result.entries, affiliates: result.payees, lockedCommissionIds: locked });
        const cutoff = t(`${month}-01`);
        const skipped = (o: ReturnType<typeof outstandingOf>[number]) => o.outstandingMinor === 0 || o.dueAt >= cutoff || o.status !== 'active' || locked.includes(o.commissionId);
        const narrowed = outstandingOf(result.commissions, result.entries).filter((o, index) => !(drop[index] && skipped(o)));
        expect(composePayoutRunFromOutstanding({ month, outstanding: narrowed, affiliates: result.payees, lockedCommissionIds: locked })).toEqual(full);
      }),
      { numRuns: 200 },
    );
  });

  it('a commission offered twice is a broken invariant, not a double payment', () => {
    const outstanding = outstandingOf(result.commissions, result.entries);
    expect(() => composePayoutRunFromOutstanding({ month: '2027-07', outstanding: [...outstanding, outstanding[0]!], affiliates: result.payees })).toThrow(InvariantError);
  });
});
