// Reading money (api.md "Reading money", R5.6, R6.3, R7): balances, tier cards, commissions with
// their explanations, JV analytics. Every figure is derived from the ledger and the clock at read
// time, so no read shows a stale state (a commission becomes due the moment the clock passes its hold).
import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { rowsBefore } from '../store/keyset.js';
import type { Tx } from '../store/db.js';
import { affiliates, applications, commissions, ledgerEntries, linkClickCounts, payments, recruitJvNets } from '../store/schema.js';
import { toCommission } from '../store/ledger-rows.js';
import {
  commissionState,
  commissionTotals,
  explain,
  standingFor,
  tierWindow,
  type Balance,
  type Commission,
  type CommissionStatus,
  type LedgerEntry,
  type Plan,
  type TierStanding,
  type TierTotals,
  type TierWindow,
} from '../domain/index.js';
import { tierTotalsSql, toTierTotals } from './facts.js';
import { entriesOf } from './ledger-store.js';
import type { ProgramRow } from './programs.js';

export interface CommissionView {
  id: string;
  affiliate_id: string;
  kind: 'direct' | 'jv';
  status: CommissionStatus;
  amount: number;
  currency: string;
  rate_bps: number;
  tier: string | null;
  payment_id: string;
  subscription_id: string;
  customer_id: string;
  earned_at: string;
  due_at: string;
  reason?: string;
  reversed_amount: number;
  paid_amount: number;
  outstanding: number;
  recruit_affiliate_id: string | null;
  explanation: string[];
}

export function commissionView(c: Commission, entries: readonly LedgerEntry[], program: ProgramRow, now: Date): CommissionView {
  const own = entries.filter((e) => e.commissionId === c.id);
  const totals = commissionTotals(own, now.getTime());
  const status = commissionState(c, own, now.getTime());
  return {
    id: c.id,
    affiliate_id: c.affiliateId,
    kind: c.kind,
    status,
    amount: c.amountMinor,
    currency: program.currency,
    rate_bps: c.rateBps,
    tier: c.tierKey,
    payment_id: c.paymentId,
    subscription_id: c.subscriptionId,
    customer_id: c.customerId,
    earned_at: new Date(c.earnedAt).toISOString(),
    due_at: new Date(c.dueAt).toISOString(),
    ...(c.reason ? { reason: c.reason } : status === 'reversed' ? { reason: lastReverseReason(own) } : {}),
    reversed_amount: totals.reversed,
    paid_amount: totals.paid,
    outstanding: totals.outstanding,
    recruit_affiliate_id: c.basis.recruitAffiliateId,
    explanation: explain(c, { entries: own, now: now.getTime(), currency: program.currency, holdDays: program.holdDays, cookieDays: program.cookieDays }),
  };
}

function lastReverseReason(entries: readonly LedgerEntry[]): string {
  const reversal = [...entries].reverse().find((e) => e.type === 'reverse');
  return reversal?.reason ?? 'reversed';
}

/** What a use case already holds of the commissions it renders: all their entries, oldest first. */
export interface KnownLedger {
  commissions: readonly Commission[];
  entries: readonly LedgerEntry[];
}

/**
 * Renders commissions by id, in the order given. A caller that has just written them (event
 * ingestion) passes `known`, the commissions with every one of their entries, and saves the two
 * reads (bench/events.ts: about a tenth of an event's queries).
 */
export async function renderCommissions(tx: Tx, program: ProgramRow, ids: string[], now: Date, known?: KnownLedger): Promise<CommissionView[]> {
  if (ids.length === 0) return [];
  const knownById = new Map((known?.commissions ?? []).map((c) => [c.id, c]));
  if (known && ids.every((id) => knownById.has(id))) {
    return ids.map((id) => commissionView(knownById.get(id)!, known.entries, program, now));
  }
  const rows = await tx.select().from(commissions).where(inArray(commissions.id, ids));
  const byId = new Map(rows.map((r) => [r.id, toCommission(r)]));
  const entries = await entriesOf(tx, ids);
  return ids.flatMap((id) => {
    const c = byId.get(id);
    return c ? [commissionView(c, entries, program, now)] : [];
  });
}

export interface CommissionFilter {
  affiliateId?: string | undefined;
  kind?: 'direct' | 'jv' | undefined;
  status?: CommissionStatus | undefined;
  customerId?: string | undefined;
  limit: number;
  cursor?: { at: Date; id: string } | undefined;
}

/**
 * The rows of `commissions` whose status at `now` is `status`: the domain's `commissionState` over
 * each commission's entries as one SQL condition, so that a status read walks the program's
 * commissions newest first in the database instead of loading each into Node in pages of fifty
 * (the console's "paid" filter loaded every commission still in hold or due before the first paid
 * one: 1.2 s at 200,000 commissions, and it grows with the program).
 *
 * The derived status is one expression, opaque to the planner, so the read stays a walk of
 * commissions_program_earned (or _affiliate) that stops at the page's end. A plain condition on
 * due_at skips, without summing entries, the rows that cannot match: those in hold when due or
 * paid is asked for (a payout is never sent before its commission is due: payoutEntries refuses
 * it, R8.1). It is left out for reserve on purpose: there it would lead the planner to gather every
 * commission in hold through commissions_due and sort them. A "paid" read starts its walk at the
 * program's last payout (nothing earned after it can have been paid), and still passes the
 * commissions earned before it that were not paid then (at 200,000 commissions, 115 -> 88 ms for
 * page 1); a partial index of the commissions with a payout, asked first, saved a fifth of the
 * walk and was left out.
 *
 * Milliseconds as in balanceOf: an entry counts when it is at most now, and a commission is due
 * when now has reached its due instant, both in whole milliseconds, so "at most now" is "before
 * the next millisecond". statements.test.ts proves it selects what `commissionState` derives.
 */
function statusIs(status: CommissionStatus, now: Date, programId: string): SQL {
  if (status === 'rejected') return eq(commissions.status, 'rejected');
  const nextMs = sql`${new Date(now.getTime() + 1).toISOString()}::timestamptz`;
  const earned = sql`sum(e.amount) filter (where e.type = 'earn')`;
  // commissionState's order: reversed in full, else paid, else due or in reserve by its due instant.
  const derived = sql`(
    select case when ${earned} > 0 and -coalesce(sum(e.amount) filter (where e.type = 'reverse'), 0) >= ${earned} then 'reversed'
                when -sum(e.amount) filter (where e.type = 'payout') > 0 then 'paid'
                when ${commissions.dueAt} < ${nextMs} then 'due'
                else 'reserve' end
    from ${ledgerEntries} e where e.commission_id = ${commissions.id} and e.at < ${nextMs})`;
  const isDue = status === 'due' || status === 'paid' ? sql`${commissions.dueAt} < ${nextMs}` : undefined;
  // A paid commission was earned no later than the program's last payout: earned ≤ due ≤ paid at.
  // One probe of ledger_entries_payouts; the walk starts there instead of at the newest commission.
  const paidBy =
    status === 'paid'
      ? sql`${commissions.earnedAt} <= (select max(p.at) from ${ledgerEntries} p where p.program_id = ${programId} and p.type = 'payout' and p.at < ${nextMs})`
      : undefined;
  return and(eq(commissions.status, 'active'), isDue, paidBy, sql`${derived} = ${status}`)!;
}

/**
 * A page of commissions, newest first. Statuses are never stored: the database selects the
 * commissions of the status asked (statusIs) and the domain derives each one's status again for
 * the view, which is what is shown; a row the two disagreed on would be left out, never shown
 * under another status.
 */
export async function listCommissions(tx: Tx, program: ProgramRow, filter: CommissionFilter, now: Date): Promise<{ rows: CommissionView[]; more: boolean }> {
  // A status read is planned as the whole walk (the planner cannot tell how soon the page fills),
  // which is over PostgreSQL's jit_above_cost: compiling it took 10 ms of a read that runs in 1 ms.
  if (filter.status && filter.status !== 'rejected') await tx.execute(sql`set local jit = off`);
  const { cursor } = filter;
  const rows = await tx
    .select()
    .from(commissions)
    .where(
      and(
        eq(commissions.programId, program.id),
        filter.affiliateId ? eq(commissions.affiliateId, filter.affiliateId) : undefined,
        filter.kind ? eq(commissions.kind, filter.kind) : undefined,
        filter.customerId ? eq(commissions.customerId, filter.customerId) : undefined,
        filter.status ? statusIs(filter.status, now, program.id) : undefined,
        cursor ? rowsBefore(commissions.earnedAt, commissions.id, [cursor.at, cursor.id]) : undefined,
      ),
    )
    .orderBy(desc(commissions.earnedAt), desc(commissions.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit).map(toCommission);
  const entries = await entriesOf(tx, page.map((c) => c.id));
  const views = page.map((c) => commissionView(c, entries, program, now));
  return { rows: filter.status ? views.filter((v) => v.status === filter.status) : views, more: rows.length > filter.limit };
}

/**
 * R7.1 balances of one affiliate in one program at the program's now: the domain's `balances` over
 * the affiliate's ledger (`affiliateLedger`), summed by the database instead of loading every
 * commission and entry (the biggest sellers have tens of thousands; statements.test.ts proves the two
 * equal over random ledgers on both backends). One index-only range of ledger_entries_affiliate:
 * each entry carries its commission's due instant, and the entries' foreign key (drizzle/0011)
 * holds every entry filed under the affiliate to be of one of the affiliate's commissions, which
 * is what the domain sums; no commission is read.
 */
export async function balanceOf(tx: Tx, program: ProgramRow, affiliateId: string, now: Date): Promise<Balance> {
  // The domain compares whole milliseconds (an entry counts when at ≤ now; a commission is due when
  // now ≥ dueAt) and timestamptz keeps microseconds that the drivers truncate on reading, so
  // "at most now" is "before the next millisecond".
  const nextMs = sql`${new Date(now.getTime() + 1).toISOString()}::timestamptz`;
  const sum = (amount: SQL, filter: SQL) => sql<number>`coalesce(sum(${amount}) filter (where ${filter}), 0)`.mapWith(Number);
  const rows = await tx
    .select({
      reserve: sum(sql`${ledgerEntries.amount}`, sql`${ledgerEntries.dueAt} >= ${nextMs}`),
      due: sum(sql`${ledgerEntries.amount}`, sql`${ledgerEntries.dueAt} < ${nextMs}`),
      // Paid is what payouts actually sent: the payout entries, negated (R7.1).
      paid: sum(sql`-${ledgerEntries.amount}`, sql`${ledgerEntries.type} = 'payout'`),
    })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.programId, program.id), eq(ledgerEntries.affiliateId, affiliateId), sql`${ledgerEntries.at} < ${nextMs}`));
  const row = rows[0]!;
  return { reserve: row.reserve, due: row.due, paid: row.paid };
}

/**
 * R5.6: the tier card. The domain evaluates a tier in two steps: `measure` reduces the sales to
 * their totals (the net revenue and distinct customers of the sales that count within
 * `tierWindow`), then `standingFor` decides the tier from the totals. Here the database takes the
 * first step (`tierTotals`), so a big seller's tens of thousands of sales stay in the database and
 * one row crosses to Node; the domain still decides. statements.test.ts proves the card equal to
 * `tierAt` over the affiliate's whole book (loadSalesBook) on random ledgers on both backends.
 */
export async function tierOf(tx: Tx, program: ProgramRow, affiliateId: string, now: Date): Promise<TierStanding> {
  const totals = await tierTotals(tx, program.id, affiliateId, tierWindow(now.getTime(), program.holdDays, false));
  return standingFor(program.plan as Plan, totals.revenueMinor, totals.customers);
}

/**
 * tierTotalsSql (facts.ts) for one affiliate, unprepared: a dashboard read plans it for this
 * affiliate. Its SQL has no join left whose plan depends on their number of sales (an event's
 * facts run it prepared, with the affiliate unknown to the planner).
 */
async function tierTotals(tx: Tx, programId: string, affiliateId: string, window: TierWindow): Promise<TierTotals> {
  const result = (await tx.execute(tierTotalsSql(programId, sql`${affiliateId}`, window))) as unknown as { rows: Array<{ revenue: string; customers: number }> };
  return toTierTotals(result.rows[0]!);
}

export interface RecruitRow {
  affiliate_id: string;
  username: string;
  name: string;
  email: string;
  status: string | null;
  clicks: number;
  sales: number;
  jv_commission_net: number;
  currency: string;
}

/** R6.3: each affiliate the recruiter brought in, with clicks, sales and the net JV earned from them. */
export async function recruitsOf(tx: Tx, program: ProgramRow, recruiterId: string, now: Date): Promise<RecruitRow[]> {
  const recruits = await tx
    .select({ id: affiliates.id, username: affiliates.username, name: affiliates.name, email: affiliates.email })
    .from(affiliates)
    .where(eq(affiliates.recruitedBy, recruiterId))
    .orderBy(affiliates.createdAt);
  if (recruits.length === 0) return [];
  const ids = recruits.map((r) => r.id);
  const statusRows = await tx
    .select({ affiliateId: applications.affiliateId, status: applications.status, createdAt: applications.createdAt })
    .from(applications)
    .where(and(eq(applications.programId, program.id), inArray(applications.affiliateId, ids)))
    .orderBy(applications.createdAt);
  const status = new Map(statusRows.map((r) => [r.affiliateId, r.status]));
  // Human clicks from the per-link counts (link_click_counts), summed over each recruit's links.
  const clickRows = await tx
    .select({ affiliateId: linkClickCounts.affiliateId, n: sql<number>`sum(${linkClickCounts.clicks})`.mapWith(Number) })
    .from(linkClickCounts)
    .where(and(eq(linkClickCounts.programId, program.id), inArray(linkClickCounts.affiliateId, ids)))
    .groupBy(linkClickCounts.affiliateId);
  const saleRows = await tx
    .select({ affiliateId: payments.saleAffiliateId, n: sql<number>`count(*)::int` })
    .from(payments)
    .where(and(eq(payments.programId, program.id), inArray(payments.saleAffiliateId, ids)))
    .groupBy(payments.saleAffiliateId);
  const jvNet = await jvNetByRecruit(tx, program, recruiterId, now);
  const clicksBy = new Map(clickRows.map((r) => [r.affiliateId, Number(r.n)]));
  const salesBy = new Map(saleRows.map((r) => [r.affiliateId, Number(r.n)]));
  return recruits.map((r) => ({
    affiliate_id: r.id,
    username: r.username,
    name: r.name,
    email: r.email,
    status: status.get(r.id) ?? null,
    clicks: clicksBy.get(r.id) ?? 0,
    sales: salesBy.get(r.id) ?? 0,
    jv_commission_net: jvNet.get(r.id) ?? 0,
    currency: program.currency,
  }));
}

/**
 * R6.3: the net JV commission a recruiter has from each recruit, earned less reversed up to now
 * (commissionTotals per JV commission, summed per recruit). It is read from the recruiter's rows of
 * recruit_jv_nets, one per recruit, when every entry they count is at most now: then they are the
 * ledger's sums exactly. An entry stamped after now (an event up to five minutes ahead of the
 * program's clock, which the API accepts, or a test clock moved back) sends the read to the ledger,
 * which the database sums over the recruiter's JV commissions. Summing the ledger was the only way
 * before the projection; for the biggest recruiter of bench/dashboard.ts (41,837 entries, 4,350 of
 * them JV) the page took 20 ms, against 4 ms from the projection (docs/scaling.md). "At most now"
 * is "before now's next millisecond", as balanceOf reads it. statements.test.ts proves both paths
 * equal to the domain's sums.
 */
async function jvNetByRecruit(tx: Tx, program: ProgramRow, recruiterId: string, now: Date): Promise<Map<string, number>> {
  const nextMs = sql`${new Date(now.getTime() + 1).toISOString()}::timestamptz`;
  const projected = await tx
    .select({ recruit: recruitJvNets.recruitId, net: recruitJvNets.net, counted: sql<boolean>`${recruitJvNets.lastAt} < ${nextMs}` })
    .from(recruitJvNets)
    .where(and(eq(recruitJvNets.programId, program.id), eq(recruitJvNets.recruiterId, recruiterId)));
  if (projected.every((r) => r.counted)) return new Map(projected.map((r) => [r.recruit, Number(r.net)]));
  const summed = (await tx.execute(sql`
    select c.basis->>'recruitAffiliateId' as recruit, sum(e.amount)::text as net
    from commissions c join ledger_entries e on e.commission_id = c.id
    where c.program_id = ${program.id} and c.affiliate_id = ${recruiterId} and c.kind = 'jv' and c.basis->>'recruitAffiliateId' is not null
      and e.program_id = ${program.id} and e.affiliate_id = ${recruiterId} and e.type in ('earn', 'reverse') and e.at < ${nextMs}
    group by 1`)) as unknown as { rows: Array<{ recruit: string; net: string }> };
  return new Map(summed.rows.map((r) => [r.recruit, Number(r.net)]));
}
