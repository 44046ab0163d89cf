// Sending a payout run so that a retried send never pays twice (R8.4, api.md "Sending twice
// never pays twice"). The database steps belong to the caller (the send-payout-run use case);
// this file holds the decisions, so that they are tested in one place against the fake PayPal.
//
// The caller's protocol, with what to persist around each PayPal call:
//  1. Before any POST, in one transaction: run.status = 'sending', run.sender_batch_id =
//     `affable-run-<runId>` (deterministic; never regenerated), run.send_started_at = now,
//     each item.sender_item_id = its own id. Commit. This is the "intent".
//  2. Call `submitBatchOnce` with the intent as stored. It POSTs only when no payout_batch_id
//     is stored, and calls `persistPayoutBatchId` as soon as PayPal names the batch; persist
//     run.payout_batch_id there, in its own commit, before anything else.
//  3. Crash or timeout anywhere: run the same call again with the same stored intent. Either the
//     stored payout_batch_id short-cuts the POST, or PayPal refuses the reused sender_batch_id
//     and links the original batch, which we verify and adopt. Without a link and without a
//     stored id, the run is 'needs_reconciliation' (an admin matches it in PayPal's dashboard).
//  4. Never re-POST an intent older than PayPal's 30-day duplicate window: past it PayPal would
//     accept the same sender_batch_id again and pay twice. Such a run needs reconciliation.
//  5. Poll `getBatch(payout_batch_id)` (a job, not the HTTP request) and, per item, append the
//     outcome: paid, or failed with PayPal's reason (the amount is due again). Pending items
//     (PENDING, ONHOLD, UNCLAIMED) keep the run in 'sending'. When every item is final: 'sent'.
import {
  PayPalApiError,
  PayPalDuplicateBatchError,
  PayPalProtocolError,
  PayPalTransportError,
  type CreateBatchInput,
  type ItemOutcome,
  type PayPalClient,
  type PayoutBatch,
} from './client.js';

/** PayPal refuses a reused sender_batch_id for 30 days; we stop a day short for clock skew. */
export const DUPLICATE_WINDOW_MS = 29 * 24 * 60 * 60 * 1000;

export interface StoredSendIntent {
  senderBatchId: string;
  /** When step 1 committed the intent. */
  intentRecordedAt: Date;
  /** Persisted after PayPal named the batch; null until then. */
  payoutBatchId: string | null;
}

export type SubmitResult =
  /** PayPal created the batch now. */
  | { kind: 'created'; payoutBatchId: string }
  /** A batch already exists for this intent (stored id, or recovered from PayPal's duplicate answer). */
  | { kind: 'already_submitted'; payoutBatchId: string; recovered: boolean }
  /** No usable answer after every attempt: nothing is known. Retry later with the same intent. */
  | { kind: 'retry_later'; error: RetryableError }
  /** PayPal refused the batch (validation, funds ...): it was not created. */
  | { kind: 'rejected'; error: PayPalApiError }
  /** We cannot prove whether PayPal has the batch: a person must look. */
  | { kind: 'needs_reconciliation'; reason: 'duplicate_without_link' | 'intent_older_than_duplicate_window' };

type RetryableError = PayPalTransportError | PayPalApiError | PayPalProtocolError;

/** Errors after which PayPal may or may not have the batch: the same request again is the answer. */
function isRetryable(error: unknown): error is RetryableError {
  return (
    error instanceof PayPalTransportError ||
    // A 2xx we could not read: PayPal probably has the batch; the retry's duplicate answer names it.
    error instanceof PayPalProtocolError ||
    (error instanceof PayPalApiError && error.retryable)
  );
}

export interface SubmitDeps {
  now: () => Date;
  /** Persist run.payout_batch_id (step 2). Called before this function returns created/already_submitted. */
  persistPayoutBatchId: (payoutBatchId: string) => Promise<void>;
  /** POST attempts while the outcome is unknown (transport error, 5xx, 429). Default 3. */
  attempts?: number;
  /** Wait between attempts. Default: 1 s, 2 s, 4 s ... via setTimeout. */
  sleep?: (attempt: number) => Promise<void>;
  signal?: AbortSignal;
}

/** Creates the batch at most once for the intent; see the protocol at the top of this file. */
export async function submitBatchOnce(
  client: PayPalClient,
  intent: StoredSendIntent,
  input: CreateBatchInput,
  deps: SubmitDeps,
): Promise<SubmitResult> {
  if (input.senderBatchId !== intent.senderBatchId) {
    throw new Error('submitBatchOnce: the batch must be sent under the stored sender_batch_id.');
  }
  if (intent.payoutBatchId !== null) return { kind: 'already_submitted', payoutBatchId: intent.payoutBatchId, recovered: false };
  if (deps.now().getTime() - intent.intentRecordedAt.getTime() >= DUPLICATE_WINDOW_MS) {
    return { kind: 'needs_reconciliation', reason: 'intent_older_than_duplicate_window' };
  }
  const attempts = deps.attempts ?? 3;
  const sleep = deps.sleep ?? ((attempt: number) => new Promise<void>((resolve) => setTimeout(resolve, 1000 * 2 ** (attempt - 1))));
  let lastError: RetryableError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(attempt - 1);
    try {
      const created = await client.createBatch(input, { signal: deps.signal });
      await deps.persistPayoutBatchId(created.payoutBatchId);
      return { kind: 'created', payoutBatchId: created.payoutBatchId };
    } catch (error) {
      if (error instanceof PayPalDuplicateBatchError) {
        let existing: PayoutBatch | null;
        try {
          existing = await client.adoptExistingBatch(error, { signal: deps.signal });
        } catch (readError) {
          if (!isRetryable(readError)) throw readError;
          lastError = readError;
          continue;
        }
        if (!existing) return { kind: 'needs_reconciliation', reason: 'duplicate_without_link' };
        await deps.persistPayoutBatchId(existing.payoutBatchId);
        return { kind: 'already_submitted', payoutBatchId: existing.payoutBatchId, recovered: true };
      }
      if (isRetryable(error)) {
        lastError = error;
        continue;
      }
      if (error instanceof PayPalApiError) return { kind: 'rejected', error };
      throw error;
    }
  }
  // The loop ran at least once, so lastError is set when we get here.
  return { kind: 'retry_later', error: lastError as RetryableError };
}

/**
 * Our items' outcomes from a PayPal batch, matched by sender_item_id (= our payout item id).
 * An item PayPal does not list is pending, unless the whole batch was DENIED/CANCELED (failed).
 */
export function outcomesBySenderItemId(batch: PayoutBatch, senderItemIds: readonly string[]): Map<string, ItemOutcome> {
  const listed = new Map(batch.items.filter((i) => i.senderItemId !== null).map((i) => [i.senderItemId as string, i.outcome]));
  const refused = batch.batchStatus === 'DENIED' || batch.batchStatus === 'CANCELED';
  return new Map(
    senderItemIds.map((id): [string, ItemOutcome] => [
      id,
      listed.get(id) ??
        (refused
          ? { kind: 'failed', reason: { name: `BATCH_${batch.batchStatus}`, message: `PayPal ${String(batch.batchStatus).toLowerCase()} the payout batch.` } }
          : { kind: 'pending' }),
    ]),
  );
}
