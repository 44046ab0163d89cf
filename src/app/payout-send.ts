// R8.4 sending a payout run through PayPal so that a retry, a double click or a crash at any step
// never pays twice and never leaves a paid item marked due. It follows the protocol at the top of
// src/integrations/paypal/send-once.ts, with one commit around each PayPal call:
//   1. intent   — run approved → sending, sending_at = now (sender_batch_id was fixed at creation).
//                 Committed BEFORE any POST: after a crash the run is found 'sending' and resumed.
//   2. submit   — submitBatchOnce POSTs only while no paypal_batch_id is stored, and persists the
//                 batch id in its own commit as soon as PayPal names it. A crash between PayPal's
//                 acceptance and that commit is recovered on resume: PayPal refuses the reused
//                 sender_batch_id and links the original batch, which is adopted.
//   3. results  — getBatch, then ONE transaction per poll: the run row and each item are locked
//                 (SELECT … FOR UPDATE) and only a 'pending' item is changed. A paid item gets the
//                 domain's payout entries in the same transaction (their deterministic ids are
//                 primary keys: a second copy cannot exist); a failed one gets PayPal's reason and
//                 no entries, so its amount stays due for a later run. All final → 'sent'.
// No transaction is ever held open across a PayPal call. In one process, concurrent sends and
// polls of a run share one flight; across processes the row locks and PayPal's sender_batch_id
// guard make the extra attempt harmless.
import { and, eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Tx } from '../store/db.js';
import { affiliates, commissions, ledgerEntries, payoutItems, payoutRuns } from '../store/schema.js';
import { programIds } from '../store/ids.js';
import { entryRows, toCommission } from '../store/ledger-rows.js';
import { invariant, payoutEntries, type Commission } from '../domain/index.js';
import { PayPalApiError, type CreateBatchInput, type ItemOutcome, type PayPalClient, type PayoutBatch } from '../integrations/paypal/client.js';
import { outcomesBySenderItemId, submitBatchOnce } from '../integrations/paypal/send-once.js';
import type { Clock } from './clock.js';
import type { AppContext } from './context.js';
import { conflict } from './errors.js';
import { programNow } from './test-clocks.js';
import { queueMail, templates } from './mail.js';
import { findPayoutRun, linesOf, payoutNote, type PayoutItemRow, type PayoutRunDetail } from './payout-runs.js';

export interface PayoutSendDeps {
  database: Database;
  /** The system clock: PayPal's 30-day duplicate window is real time, not a program's test clock. */
  clock: Clock;
  paypal: PayPalClient | undefined;
  log: Logger;
  /** Wait before re-POSTing after an unknown outcome (1 s, 2 s, … × this / 1000). Default 1000. */
  retryDelayMs?: number | undefined;
  /** Called after a commit that queued mail (delivery happens after commit). */
  mailQueued?: (() => void) | undefined;
}

/** The send dependencies from the application context. */
export function payoutSendDeps(context: AppContext): PayoutSendDeps {
  return {
    database: context.database,
    clock: context.clock,
    paypal: context.paypal,
    log: context.log,
    retryDelayMs: context.paypalRetryDelayMs,
    mailQueued: () => context.mail?.kick(),
  };
}

const paypalNotConfigured = () =>
  conflict('paypal_not_configured', 'PayPal is not configured on this server: set PAYPAL_API_BASE, PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET, or pay with the export.csv file.');

/**
 * `POST /payout_runs/{id}/send`: records the intent (approved → sending) and drives the run as far
 * as PayPal allows now. It may return while items are still pending (status 'sending'); the
 * payouts job and `refreshPayoutRun` finish it. A sent run is answered as it is (sending twice
 * never pays twice). Refuses a draft (409 payout_run_not_approved), a run that needs
 * reconciliation, and any send when PayPal is not configured (409 paypal_not_configured).
 */
export async function sendPayoutRun(deps: PayoutSendDeps, runId: string): Promise<PayoutRunDetail> {
  const detail = await deps.database.transaction(async (tx) => {
    const current = await findPayoutRun(tx, runId, true);
    const status = current.run.status;
    if (status === 'draft') throw conflict('payout_run_not_approved', `Payout run ${runId} is a draft: approve it before sending.`);
    if (status === 'needs_reconciliation') throw needsReconciliation(runId, current.run.lastError);
    if (status === 'sent') return current;
    if (!deps.paypal) throw paypalNotConfigured();
    if (status === 'approved') {
      const sendingAt = deps.clock.now();
      await tx.update(payoutRuns).set({ status: 'sending', sendingAt, lastError: null }).where(eq(payoutRuns.id, runId));
      return { ...current, run: { ...current.run, status: 'sending', sendingAt, lastError: null } };
    }
    return current; // 'sending': a resume after a crash or a retry
  });
  if (detail.run.status !== 'sending') return detail;
  return advanceOnce(deps, runId);
}

/** `POST /payout_runs/{id}/refresh` and the payouts job: resume or poll a run that is sending. */
export async function refreshPayoutRun(deps: PayoutSendDeps, runId: string): Promise<PayoutRunDetail> {
  const detail = await deps.database.transaction((tx) => findPayoutRun(tx, runId));
  if (detail.run.status !== 'sending') return detail;
  if (!deps.paypal) throw paypalNotConfigured();
  return advanceOnce(deps, runId);
}

/** Ids of the runs a poller should look at. */
export async function sendingRunIds(database: Database): Promise<string[]> {
  const rows = await database.transaction((tx) => tx.select({ id: payoutRuns.id }).from(payoutRuns).where(eq(payoutRuns.status, 'sending')));
  return rows.map((r) => r.id);
}

const needsReconciliation = (runId: string, why: string | null) =>
  conflict(
    'payout_run_needs_reconciliation',
    `Payout run ${runId} needs reconciliation: we cannot prove whether PayPal holds its batch${why ? ` (${why})` : ''}. Match it in PayPal's dashboard before anything else is sent.`,
  );

// One flight per run and database in this process: a double click or the job racing the refresh
// endpoint wait for the same work instead of starting a second.
const flights = new WeakMap<Database, Map<string, Promise<PayoutRunDetail>>>();

function advanceOnce(deps: PayoutSendDeps, runId: string): Promise<PayoutRunDetail> {
  let perDatabase = flights.get(deps.database);
  if (!perDatabase) {
    perDatabase = new Map();
    flights.set(deps.database, perDatabase);
  }
  const running = perDatabase.get(runId);
  if (running) return running;
  const flight = advance(deps, runId).finally(() => perDatabase.delete(runId));
  perDatabase.set(runId, flight);
  return flight;
}

async function advance(deps: PayoutSendDeps, runId: string): Promise<PayoutRunDetail> {
  const { database, log } = deps;
  const paypal = deps.paypal;
  if (!paypal) throw paypalNotConfigured();
  let detail = await database.transaction((tx) => findPayoutRun(tx, runId));
  if (detail.run.status !== 'sending') return detail;

  if (detail.items.length === 0) {
    await database.transaction((tx) => finishIfSettled(tx, deps, runId));
    return database.transaction((tx) => findPayoutRun(tx, runId));
  }

  let batchId = detail.run.paypalBatchId;
  if (batchId === null) {
    const input = batchInput(detail);
    try {
      const result = await submitBatchOnce(
        paypal,
        { senderBatchId: detail.run.senderBatchId, intentRecordedAt: detail.run.sendingAt ?? detail.run.createdAt, payoutBatchId: null },
        input,
        {
          now: () => deps.clock.now(),
          persistPayoutBatchId: (id) => persistBatchId(database, runId, id),
          sleep: (attempt) => new Promise<void>((resolve) => setTimeout(resolve, (deps.retryDelayMs ?? 1000) * 2 ** (attempt - 1))),
        },
      );
      switch (result.kind) {
        case 'created':
        case 'already_submitted':
          batchId = result.payoutBatchId;
          if (result.kind === 'already_submitted' && result.recovered) log.warn({ runId, payoutBatchId: batchId }, 'adopted the PayPal batch of an earlier attempt');
          break;
        case 'retry_later':
          await recordError(database, runId, `PayPal did not answer; will retry with the same sender_batch_id: ${result.error.message}`);
          return database.transaction((tx) => findPayoutRun(tx, runId));
        case 'rejected':
          // PayPal refused the batch: it does not exist, nothing was paid. Every item fails with
          // PayPal's reason and its amount is due again for a later month's run (R8.4).
          await failAllPending(database, deps, runId, rejectionReason(result.error));
          return database.transaction((tx) => findPayoutRun(tx, runId));
        case 'needs_reconciliation':
          await database.transaction(async (tx) => {
            await tx.update(payoutRuns).set({ status: 'needs_reconciliation', lastError: result.reason }).where(and(eq(payoutRuns.id, runId), eq(payoutRuns.status, 'sending')));
          });
          log.error({ runId, reason: result.reason }, 'payout run needs reconciliation');
          return database.transaction((tx) => findPayoutRun(tx, runId));
      }
    } catch (error) {
      // Anything else (credentials refused, our own crash): nothing is known to be paid that is
      // not also recoverable from PayPal by the same sender_batch_id. Stay 'sending'; retry later.
      log.error({ runId, err: error }, 'payout run submit failed');
      await recordError(database, runId, error instanceof Error ? error.message : String(error));
      return database.transaction((tx) => findPayoutRun(tx, runId));
    }
  }

  let batch: PayoutBatch;
  try {
    batch = await paypal.getBatch(batchId);
  } catch (error) {
    log.warn({ runId, err: error }, 'payout batch poll failed');
    await recordError(database, runId, error instanceof Error ? error.message : String(error));
    return database.transaction((tx) => findPayoutRun(tx, runId));
  }
  detail = await database.transaction((tx) => findPayoutRun(tx, runId));
  const pending = detail.items.filter((item) => item.status === 'pending');
  const outcomes = outcomesBySenderItemId(
    batch,
    pending.map((item) => item.id),
  );
  const mismatch = amountMismatch(batch, pending);
  if (mismatch) {
    // PayPal holds another amount than we composed: never guess what was paid.
    await database.transaction(async (tx) => {
      await tx.update(payoutRuns).set({ status: 'needs_reconciliation', lastError: mismatch }).where(eq(payoutRuns.id, runId));
    });
    log.error({ runId, mismatch }, 'payout batch does not match the run');
    return database.transaction((tx) => findPayoutRun(tx, runId));
  }
  const paypalItemIds = new Map(batch.items.filter((i) => i.senderItemId).map((i) => [i.senderItemId as string, i.payoutItemId]));
  const queued = await database.transaction((tx) => applyOutcomes(tx, deps, runId, outcomes, paypalItemIds));
  if (queued > 0) deps.mailQueued?.();
  return database.transaction((tx) => findPayoutRun(tx, runId));
}

function batchInput(detail: PayoutRunDetail): CreateBatchInput {
  const note = payoutNote(detail.program.slug, detail.run.month);
  return {
    senderBatchId: detail.run.senderBatchId,
    emailSubject: `Your ${detail.program.name} affiliate commissions for ${detail.run.month}`,
    emailMessage: `Your ${detail.program.name} affiliate commissions for ${detail.run.month}. Thank you for promoting us.`,
    // Every item of the run, in a fixed order, so that a retried POST is the same request.
    items: detail.items.map((item) => ({
      recipientType: 'EMAIL' as const,
      receiver: item.receiver,
      amountMinor: item.amount,
      currency: item.currency,
      senderItemId: item.id,
      note,
    })),
  };
}

async function persistBatchId(database: Database, runId: string, payoutBatchId: string): Promise<void> {
  await database.transaction(async (tx) => {
    const rows = await tx.select({ paypalBatchId: payoutRuns.paypalBatchId }).from(payoutRuns).where(eq(payoutRuns.id, runId)).for('update');
    const stored = rows[0]?.paypalBatchId ?? null;
    invariant(stored === null || stored === payoutBatchId, `Payout run ${runId} already names PayPal batch ${stored}, not ${payoutBatchId}.`);
    if (stored === null) await tx.update(payoutRuns).set({ paypalBatchId: payoutBatchId, lastError: null }).where(eq(payoutRuns.id, runId));
  });
}

async function recordError(database: Database, runId: string, message: string): Promise<void> {
  await database.transaction(async (tx) => {
    await tx.update(payoutRuns).set({ lastError: message.slice(0, 1000) }).where(eq(payoutRuns.id, runId));
  });
}

function rejectionReason(error: PayPalApiError): string {
  return `${error.paypalName ?? `HTTP_${error.status}`}: ${error.paypalMessage ?? error.message}`;
}

function amountMismatch(batch: PayoutBatch, items: readonly PayoutItemRow[]): string | null {
  const listed = new Map(batch.items.filter((i) => i.senderItemId).map((i) => [i.senderItemId as string, i]));
  for (const item of items) {
    const theirs = listed.get(item.id);
    if (!theirs) continue;
    if (theirs.amountMinor !== item.amount || theirs.currency.toLowerCase() !== item.currency.toLowerCase()) {
      return `item ${item.id}: PayPal holds ${theirs.amountMinor} ${theirs.currency}, the run ${item.amount} ${item.currency}`;
    }
  }
  return null;
}

async function failAllPending(database: Database, deps: PayoutSendDeps, runId: string, reason: string): Promise<void> {
  await database.transaction(async (tx) => {
    const detail = await findPayoutRun(tx, runId, true);
    if (detail.run.status !== 'sending') return;
    const outcomes = new Map<string, ItemOutcome>(
      detail.items.filter((i) => i.status === 'pending').map((i) => [i.id, { kind: 'failed', reason: { name: 'BATCH_REJECTED', message: reason } }]),
    );
    await applyOutcomes(tx, deps, runId, outcomes, new Map());
    await tx.update(payoutRuns).set({ lastError: `PayPal refused the batch: ${reason}`.slice(0, 1000) }).where(eq(payoutRuns.id, runId));
  });
}

/**
 * Step 3: records final outcomes exactly once. Returns how many mails it queued.
 * The run row is locked first, then each item; an item that is no longer pending was recorded by
 * an earlier poll and is left alone.
 */
async function applyOutcomes(
  tx: Tx,
  deps: PayoutSendDeps,
  runId: string,
  outcomes: ReadonlyMap<string, ItemOutcome>,
  paypalItemIds: ReadonlyMap<string, string>,
): Promise<number> {
  const detail = await findPayoutRun(tx, runId, true);
  if (detail.run.status !== 'sending') return 0;
  const programId = detail.program.id;
  const at = await programNow(tx, detail.program, deps.clock);
  const updatedAt = deps.clock.now();
  const ids = programIds(programId);

  const finalIds = detail.items.filter((i) => i.status === 'pending' && outcomes.get(i.id)?.kind !== 'pending' && outcomes.has(i.id)).map((i) => i.id);
  const commissionIds = detail.items.filter((i) => finalIds.includes(i.id)).flatMap((i) => linesOf(i).map((l) => l.commissionId));
  const commissionById = new Map<string, Commission>();
  if (commissionIds.length > 0) {
    for (const row of await tx.select().from(commissions).where(inArray(commissions.id, commissionIds))) commissionById.set(row.id, toCommission(row));
  }
  const affiliateIds = [...new Set(detail.items.map((i) => i.affiliateId))];
  const people = new Map(
    (affiliateIds.length ? await tx.select({ id: affiliates.id, email: affiliates.email, name: affiliates.name }).from(affiliates).where(inArray(affiliates.id, affiliateIds)) : []).map(
      (p) => [p.id, p],
    ),
  );

  let mails = 0;
  for (const id of finalIds) {
    const locked = await tx.select().from(payoutItems).where(eq(payoutItems.id, id)).for('update');
    const item = locked[0];
    if (!item || item.status !== 'pending') continue;
    const outcome = outcomes.get(id)!;
    const paypalItemId = paypalItemIds.get(id) ?? null;
    if (outcome.kind === 'paid') {
      const lines = linesOf(item);
      const entries = payoutEntries(
        { affiliateId: item.affiliateId, amountMinor: item.amount, commissionIds: lines.map((l) => l.commissionId), lines },
        { runId, at: at.getTime(), commissions: commissionById, ids },
      );
      await tx.insert(ledgerEntries).values(entryRows(entries, commissionById.values(), programId, updatedAt));
      await tx.update(payoutItems).set({ status: 'paid', paypalItemId, failureReason: null, updatedAt }).where(eq(payoutItems.id, id));
      const person = people.get(item.affiliateId);
      if (person) {
        await queueMail(
          tx,
          deps.clock,
          person.email,
          templates.payoutSent({ name: person.name, programName: detail.program.name, month: detail.run.month, amountMinor: item.amount, currency: item.currency, paypalEmail: item.receiver }),
        );
        mails += 1;
      }
    } else if (outcome.kind === 'failed') {
      const reason = `${outcome.reason.name}: ${outcome.reason.message}`.slice(0, 1000);
      await tx.update(payoutItems).set({ status: 'failed', paypalItemId, failureReason: reason, updatedAt }).where(eq(payoutItems.id, id));
    }
  }
  await finishIfSettled(tx, deps, runId);
  return mails;
}

async function finishIfSettled(tx: Tx, deps: PayoutSendDeps, runId: string): Promise<void> {
  const open = await tx
    .select({ id: payoutItems.id })
    .from(payoutItems)
    .where(and(eq(payoutItems.runId, runId), eq(payoutItems.status, 'pending')));
  if (open.length > 0) return;
  await tx
    .update(payoutRuns)
    .set({ status: 'sent', sentAt: deps.clock.now() })
    .where(and(eq(payoutRuns.id, runId), eq(payoutRuns.status, 'sending')));
}
