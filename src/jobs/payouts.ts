// The payouts poller: finishes runs that are 'sending' (resuming a send interrupted by a crash,
// polling PayPal for item results) and delivers the mail outbox. A plain interval loop rather
// than pg-boss: it must run on the embedded PGlite database too (pg-boss needs a PostgreSQL
// server), and every step it takes is already guarded in the database (row locks, the stored
// sender_batch_id, deterministic entry ids), so several instances polling at once is harmless.
import type { Logger } from 'pino';
import type { PayoutSendDeps } from '../app/payout-send.js';
import { refreshPayoutRun, sendingRunIds } from '../app/payout-send.js';
import type { MailDelivery } from '../app/mail.js';

export interface PayoutJobOptions {
  deps: PayoutSendDeps;
  mail?: MailDelivery | undefined;
  log: Logger;
  /** Time between passes. Default 60 s (PayPal suggests polling a batch no more than every minute or so). */
  intervalMs?: number;
}

export interface PayoutJob {
  /** Runs one pass now (tests; also what each tick does). */
  tick(): Promise<void>;
  /** Stops the loop and waits for a pass in progress. */
  stop(): Promise<void>;
}

export function startPayoutJob(options: PayoutJobOptions): PayoutJob {
  const interval = options.intervalMs ?? 60_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;

  const pass = async () => {
    if (options.deps.paypal) {
      for (const runId of await sendingRunIds(options.deps.database)) {
        if (stopped) break;
        try {
          const detail = await refreshPayoutRun(options.deps, runId);
          options.log.info({ runId, status: detail.run.status }, 'payout run polled');
        } catch (error) {
          options.log.error({ runId, err: error }, 'payout run poll failed');
        }
      }
    }
    if (options.mail) await options.mail.deliverPending();
  };

  const tick = async () => {
    if (current) return current;
    current = pass()
      .catch((error: unknown) => options.log.error({ err: error }, 'payouts job pass failed'))
      .finally(() => {
        current = null;
      });
    return current;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, interval);
    timer.unref();
  };
  schedule();

  return {
    tick,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (current) await current;
    },
  };
}
