// The payouts poller on pg-boss: finishes runs that are 'sending' (resuming a send interrupted by a
// crash, polling PayPal for item results). Every minute the `payouts.poll` schedule lists the runs
// in 'sending' and queues one `payouts.refresh` job per run, keyed by the run id on a 'stately'
// queue: at most one refresh of a run waits and one runs, across every instance. That key only
// saves work; the real guards stay in the database and at PayPal (row locks, the stored
// sender_batch_id, deterministic entry ids, see src/app/payout-send.ts).
import type { Logger } from 'pino';
import type { PayoutSendDeps } from '../app/payout-send.js';
import { refreshPayoutRun, sendingRunIds } from '../app/payout-send.js';
import type { Boss } from './boss.js';

export const PAYOUTS_POLL = 'payouts.poll';
export const PAYOUTS_REFRESH = 'payouts.refresh';
/** PayPal suggests polling a batch no more than every minute or so. */
export const PAYOUTS_POLL_CRON = '* * * * *';

/** Refreshes one run that is sending (the `payouts.refresh` job). */
export async function refreshSendingRun(deps: PayoutSendDeps, runId: string, log: Logger): Promise<void> {
  const detail = await refreshPayoutRun(deps, runId);
  log.info({ runId, status: detail.run.status }, 'payout run polled');
}

/** One pass in this process, without pg-boss: refreshes every run that is sending, one after the other. */
export async function pollSendingRuns(deps: PayoutSendDeps, log: Logger): Promise<void> {
  if (!deps.paypal) return;
  for (const runId of await sendingRunIds(deps.database)) {
    try {
      await refreshSendingRun(deps, runId, log);
    } catch (error) {
      log.error({ runId, err: error }, 'payout run poll failed');
    }
  }
}

/**
 * Creates the queues, the schedule and the workers. Without PayPal there is nothing to poll: the
 * schedule is removed (a previous configuration may have created it) and no worker runs.
 */
export async function registerPayoutJobs(runner: Boss, deps: PayoutSendDeps, log: Logger): Promise<void> {
  const { boss } = runner;
  await boss.createQueue(PAYOUTS_POLL, { name: PAYOUTS_POLL, policy: 'stately', retryLimit: 0 });
  await boss.createQueue(PAYOUTS_REFRESH, { name: PAYOUTS_REFRESH, policy: 'stately', retryLimit: 0 });
  if (!deps.paypal) {
    await boss.unschedule(PAYOUTS_POLL);
    return;
  }
  await runner.work(PAYOUTS_POLL, async () => {
    for (const runId of await sendingRunIds(deps.database)) {
      await boss.send(PAYOUTS_REFRESH, { runId }, { singletonKey: runId });
    }
  });
  await runner.work<{ runId?: string }>(PAYOUTS_REFRESH, async ({ runId }) => {
    if (typeof runId !== 'string') throw new Error(`${PAYOUTS_REFRESH} job without a runId`);
    await refreshSendingRun(deps, runId, log);
  });
  await boss.schedule(PAYOUTS_POLL, PAYOUTS_POLL_CRON, {}, { tz: 'UTC' });
}
