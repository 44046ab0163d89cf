// R8 payout runs: compose a month's run from the ledger (draft), review and approve it, discard
// a draft. Sending is in payout-send.ts. The domain decides what is paid
// (composePayoutRunFromOutstanding); this file loads its facts, with each commission's outstanding
// amount summed by the database, and stores its answer.
import { and, desc, eq, sql, type Column } from 'drizzle-orm';
import { rowsBefore } from '../store/keyset.js';

/** `column = any($1)`: one array parameter however many ids (PostgreSQL binds at most 65,535). */
const anyOf = (column: Column, ids: string[]) => sql`${column} = any(${sql.param(ids)}::text[])`;
import type { Tx } from '../store/db.js';
import { affiliates, commissions, ledgerEntries, mailOutbox, payoutAccounts, payoutItems, payoutRuns, programs, taxForms } from '../store/schema.js';
import { newId } from '../store/ids.js';
import { insertRows } from '../store/bulk.js';
import { assertMonthStarted, composePayoutRunFromOutstanding, monthStart, type OutstandingCommission, type PayeeFact, type PayoutLine, type WithholdReason } from '../domain/index.js';
import type { Clock } from './clock.js';
import { conflict, notFound } from './errors.js';
import { programNow } from './test-clocks.js';
import { completenessOf } from './tax-forms.js';
import { mailRow, templates, type MailRow } from './mail.js';
import type { ProgramRow } from './programs.js';

export type PayoutRunRow = typeof payoutRuns.$inferSelect;
export type PayoutItemRow = typeof payoutItems.$inferSelect;
export type RunStatus = 'draft' | 'approved' | 'sending' | 'sent' | 'needs_reconciliation';
export type ItemStatus = 'pending' | 'paid' | 'failed';

/** A withheld affiliate as stored on the run (R8.3): their due waits for a later run. */
export interface StoredWithheld {
  affiliateId: string;
  amountMinor: number;
  reasons: WithholdReason[];
  commissionIds: string[];
}

export interface PayoutRunDetail {
  run: PayoutRunRow;
  program: Pick<ProgramRow, 'id' | 'slug' | 'name' | 'testClockId'>;
  items: PayoutItemRow[];
}

/** PayPal's idempotency key for the run (send-once.ts step 1): fixed at creation, never regenerated. */
export const senderBatchIdFor = (runId: string) => `affable-run-${runId}`;

/** The note on each PayPal item and mass-payment line, e.g. "Affable kartra 2027-03". */
export const payoutNote = (programSlug: string, month: string) => `Affable ${programSlug} ${month}`;

export const linesOf = (item: Pick<PayoutItemRow, 'lines'>): PayoutLine[] => item.lines as PayoutLine[];

/**
 * Composes the run of `month` for a program (R8.1–R8.3) and stores it as a draft.
 * Refuses: an unknown program (404), a month that has not begun in the program's time (409
 * payout_month_not_started), a second run for the same program and month (409 payout_run_exists).
 * Withheld affiliates are told why by mail, in the same transaction.
 */
export async function createPayoutRun(tx: Tx, clock: Clock, input: { program: string; month: string }): Promise<PayoutRunDetail> {
  // Lock the program: run creation is serialised per program, so two runs composed at once can
  // never both take the same due commission (neither would see the other's pending items).
  const programRows = await tx.select().from(programs).where(eq(programs.slug, input.program)).for('update');
  const program = programRows[0];
  if (!program) throw notFound('program', input.program);
  const now = await programNow(tx, program, clock);
  assertMonthStarted(input.month, now.getTime());
  const existing = await tx
    .select({ id: payoutRuns.id })
    .from(payoutRuns)
    .where(and(eq(payoutRuns.programId, program.id), eq(payoutRuns.month, input.month)));
  if (existing[0]) throw runExists(program.slug, input.month, existing[0].id);

  // R8.1: only commissions due before the month can be in it. The database sums their entries
  // (R7.1: outstanding = Σ entries) and sends back the ones with something outstanding, so the
  // run reads one row per unsettled commission instead of the whole ledger.
  const outstanding = await outstandingDueBefore(tx, program.id, new Date(monthStart(input.month)));
  // Commissions in an unfinished item of another run (draft, approved or still sending) are not
  // offered again: paying them is that run's business. A failed item frees them (R8.4).
  const pendingItems = await tx
    .select({ lines: payoutItems.lines })
    .from(payoutItems)
    .where(and(eq(payoutItems.programId, program.id), eq(payoutItems.status, 'pending')));
  const lockedCommissionIds = pendingItems.flatMap((item) => linesOf(item).map((line) => line.commissionId));
  const affiliateIds = [...new Set(outstanding.map((row) => row.affiliateId))];
  const payees = await payeeFacts(tx, affiliateIds);

  const composed = composePayoutRunFromOutstanding({
    month: input.month,
    outstanding,
    affiliates: [...payees.values()].map((p) => p.fact),
    lockedCommissionIds,
  });

  const createdAt = clock.now();
  const runId = newId('prun');
  const withheld: StoredWithheld[] = composed.withheld.map((w) => ({
    affiliateId: w.affiliateId,
    amountMinor: w.amountMinor,
    reasons: w.reasons,
    commissionIds: w.commissionIds,
  }));
  const run: PayoutRunRow = {
    id: runId,
    programId: program.id,
    month: input.month,
    status: 'draft',
    currency: program.currency,
    senderBatchId: senderBatchIdFor(runId),
    paypalBatchId: null,
    withheld,
    lastError: null,
    createdAt,
    approvedAt: null,
    sendingAt: null,
    sentAt: null,
  };
  // The unique index (program, month) settles a race the check above cannot see: the loser
  // inserts nothing and answers 409 instead of failing its transaction on the violation.
  const inserted = await tx
    .insert(payoutRuns)
    .values(run)
    .onConflictDoNothing({ target: [payoutRuns.programId, payoutRuns.month] })
    .returning({ id: payoutRuns.id });
  if (inserted.length === 0) throw runExists(program.slug, input.month, null);

  const items: PayoutItemRow[] = composed.items.map((item) => ({
    id: newId('poi'),
    runId,
    programId: program.id,
    affiliateId: item.affiliateId,
    amount: item.amountMinor,
    currency: program.currency,
    receiver: payees.get(item.affiliateId)!.fact.payoutAccount!,
    lines: item.lines,
    status: 'pending',
    paypalItemId: null,
    failureReason: null,
    createdAt,
    updatedAt: createdAt,
  }));
  await insertRows(tx, payoutItems, items);

  // One mail per withheld affiliate (20k at 100k affiliates), written together: an INSERT per mail
  // was seconds of the run.
  const mails: MailRow[] = [];
  for (const w of withheld) {
    const person = payees.get(w.affiliateId);
    if (!person) continue;
    const mail = templates.payoutWithheld({ name: person.name, programName: program.name, month: input.month, amountMinor: w.amountMinor, currency: program.currency, reasons: w.reasons });
    mails.push(mailRow(clock, person.email, mail));
  }
  await insertRows(tx, mailOutbox, mails);
  return { run, program, items: sortItems(items) };
}

const runExists = (slug: string, month: string, id: string | null) =>
  conflict('payout_run_exists', `The ${month} payout run of "${slug}" already exists${id ? ` (${id})` : ''}: there is one run per program and month.`);

/**
 * R7.1/R8.1: each active commission of the program due before `cutoff` with a non-zero
 * outstanding amount (Σ of all its entries, whenever recorded), summed by the database. Settled
 * commissions (Σ = 0) are left out: composePayoutRunFromOutstanding would skip them anyway.
 * The program's entries are summed in commission order and merge-joined with its commissions,
 * both read from their `*_outstanding` indexes alone; the rows come back as plain values (no
 * Date, no ORM mapping), which at 100k affiliates is seconds of the run.
 */
export async function outstandingDueBefore(tx: Tx, programId: string, cutoff: Date): Promise<OutstandingCommission[]> {
  const result = (await tx.execute(sql`
    select ${commissions.id} as commission_id, ${commissions.affiliateId} as affiliate_id, ${commissions.status} as status,
      trunc(extract(epoch from ${commissions.dueAt}) * 1000)::bigint as due_at_ms, sums.outstanding::bigint as outstanding_minor
    from (
      select ${ledgerEntries.commissionId} as commission_id, sum(${ledgerEntries.amount}) as outstanding
      from ${ledgerEntries}
      where ${ledgerEntries.programId} = ${programId}
      group by ${ledgerEntries.commissionId}
      having sum(${ledgerEntries.amount}) <> 0
    ) sums
    join ${commissions} on ${commissions.id} = sums.commission_id
    where ${commissions.programId} = ${programId} and ${commissions.status} = 'active' and ${commissions.dueAt} < ${cutoff.toISOString()}::timestamptz`)) as unknown as {
    rows: Array<{ commission_id: string; affiliate_id: string; status: string; due_at_ms: string | number | bigint; outstanding_minor: string | number | bigint }>;
  };
  // Milliseconds are truncated as a Date read by either driver truncates them. int8 arrives as
  // text (node-postgres) or a bigint (PGlite); the domain asserts each amount is a safe integer.
  return result.rows.map((row) => ({
    commissionId: row.commission_id,
    affiliateId: row.affiliate_id,
    status: row.status as OutstandingCommission['status'],
    dueAt: Number(row.due_at_ms),
    outstandingMinor: Number(row.outstanding_minor),
  }));
}

interface Payee {
  fact: PayeeFact;
  email: string;
  name: string;
}

/** R8.3 facts for each affiliate: a complete tax form? a connected PayPal account? */
async function payeeFacts(tx: Tx, affiliateIds: string[]): Promise<Map<string, Payee>> {
  const result = new Map<string, Payee>();
  if (affiliateIds.length === 0) return result;
  // One statement for all three facts: at 100k affiliates each round trip carries tens of thousands of rows.
  const rows = await tx
    .select({ id: affiliates.id, email: affiliates.email, name: affiliates.name, form: taxForms, paypalEmail: payoutAccounts.paypalEmail })
    .from(affiliates)
    .leftJoin(taxForms, eq(taxForms.affiliateId, affiliates.id))
    .leftJoin(payoutAccounts, eq(payoutAccounts.affiliateId, affiliates.id))
    .where(anyOf(affiliates.id, affiliateIds));
  for (const row of rows) {
    result.set(row.id, {
      email: row.email,
      name: row.name,
      fact: { id: row.id, taxFormComplete: row.form ? completenessOf(row.form).complete : false, payoutAccount: row.paypalEmail ?? null },
    });
  }
  return result;
}

const sortItems = (items: PayoutItemRow[]) => [...items].sort((a, b) => (a.affiliateId < b.affiliateId ? -1 : a.affiliateId > b.affiliateId ? 1 : 0));

/** The run with its program and items; `lock` takes the run row FOR UPDATE. */
export async function findPayoutRun(tx: Tx, id: string, lock = false): Promise<PayoutRunDetail> {
  const query = tx.select().from(payoutRuns).where(eq(payoutRuns.id, id));
  const rows = lock ? await query.for('update') : await query;
  const run = rows[0];
  if (!run) throw notFound('payout_run', id);
  const programRows = await tx
    .select({ id: programs.id, slug: programs.slug, name: programs.name, testClockId: programs.testClockId })
    .from(programs)
    .where(eq(programs.id, run.programId));
  const items = await tx.select().from(payoutItems).where(eq(payoutItems.runId, id));
  return { run, program: programRows[0]!, items: sortItems(items) };
}

/** Runs by month, newest first (then by id), optionally of one program; `after` is the last run of the previous page. */
export async function listPayoutRuns(
  tx: Tx,
  options: { program?: string | undefined; limit: number; after?: { month: string; id: string } | undefined },
): Promise<PayoutRunDetail[]> {
  let programId: string | undefined;
  if (options.program) {
    const rows = await tx.select({ id: programs.id }).from(programs).where(eq(programs.slug, options.program));
    if (!rows[0]) throw notFound('program', options.program);
    programId = rows[0].id;
  }
  const cursor = options.after;
  const runs = await tx
    .select({ id: payoutRuns.id })
    .from(payoutRuns)
    .where(
      and(
        programId ? eq(payoutRuns.programId, programId) : undefined,
        cursor ? rowsBefore(payoutRuns.month, payoutRuns.id, [cursor.month, cursor.id]) : undefined,
      ),
    )
    .orderBy(desc(payoutRuns.month), desc(payoutRuns.id))
    .limit(options.limit);
  const details: PayoutRunDetail[] = [];
  for (const { id } of runs) details.push(await findPayoutRun(tx, id));
  return details;
}

/** R8.4: an admin reviewed the draft; it may now be sent. Approving anything but a draft is 409. */
export async function approvePayoutRun(tx: Tx, clock: Clock, id: string): Promise<PayoutRunDetail> {
  const detail = await findPayoutRun(tx, id, true);
  if (detail.run.status !== 'draft') {
    throw conflict('payout_run_state', `Payout run ${id} is ${detail.run.status}; only a draft can be approved.`);
  }
  const approvedAt = clock.now();
  await tx.update(payoutRuns).set({ status: 'approved', approvedAt }).where(eq(payoutRuns.id, id));
  return { ...detail, run: { ...detail.run, status: 'approved', approvedAt } };
}

/**
 * Discards a draft (e.g. to compose the month again after an affiliate completed their tax form):
 * its items are deleted, so their commissions are free for another run. Only a draft; nothing of
 * it reached PayPal or the ledger.
 */
export async function discardPayoutRun(tx: Tx, id: string): Promise<void> {
  const detail = await findPayoutRun(tx, id, true);
  if (detail.run.status !== 'draft') {
    throw conflict('payout_run_state', `Payout run ${id} is ${detail.run.status}; only a draft can be discarded.`);
  }
  await tx.delete(payoutItems).where(eq(payoutItems.runId, id));
  await tx.delete(payoutRuns).where(eq(payoutRuns.id, id));
}

/** The program's time, for a run (test clocks decide when payouts are recorded). */
export async function runProgramNow(tx: Tx, detail: PayoutRunDetail, clock: Clock): Promise<Date> {
  return programNow(tx, detail.program, clock);
}
