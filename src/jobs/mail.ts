// Mail delivery on pg-boss. A request that may have committed mail to the outbox kicks the
// delivery (src/http/server.ts, and the payout send after its commit); with jobs running, the kick
// queues a `mail.deliver` job instead of a pass in this process, so whichever instance is free
// delivers, and a kick survives a restart. The queue is 'stately' under one key: at most one pass
// runs and at most one more waits, as `MailDelivery.kick()` coalesces in a process. A schedule
// every minute retries failed messages and catches a kick lost between commit and queueing.
// Claiming a row (sent_at set before sending) remains what keeps a message from going out twice.
import type { Logger } from 'pino';
import type { MailDelivery } from '../app/mail.js';
import type { Boss } from './boss.js';

export const MAIL_DELIVER = 'mail.deliver';
export const MAIL_DELIVER_CRON = '* * * * *';
const OUTBOX_KEY = 'outbox';

/** Creates the queue, the worker and the schedule, and routes kicks to the queue until stop. */
export async function registerMailJobs(runner: Boss, mail: MailDelivery | undefined, log: Logger): Promise<void> {
  const { boss } = runner;
  await boss.createQueue(MAIL_DELIVER, { name: MAIL_DELIVER, policy: 'stately', retryLimit: 0 });
  if (!mail) {
    // Without SMTP the mail stays in the outbox for the dev mailbox: nothing to deliver.
    await boss.unschedule(MAIL_DELIVER);
    return;
  }
  const workerId = await runner.work(MAIL_DELIVER, async () => {
    const sent = await mail.deliverPending();
    if (sent > 0) log.info({ sent }, 'mail delivered');
  });
  await boss.schedule(MAIL_DELIVER, MAIL_DELIVER_CRON, {}, { singletonKey: OUTBOX_KEY, tz: 'UTC' });

  // Kicks come once per write request: at most one insert is in flight, and the kicks that arrive
  // meanwhile make one more. The local worker is woken so mail leaves without a polling delay.
  let queueing: Promise<void> | null = null;
  let again = false;
  const enqueue = () => {
    if (queueing) {
      again = true;
      return;
    }
    queueing = (async () => {
      do {
        again = false;
        try {
          await boss.send(MAIL_DELIVER, {}, { singletonKey: OUTBOX_KEY });
          boss.notifyWorker(workerId);
        } catch (error) {
          log.error({ err: error }, 'could not queue mail delivery; the schedule will deliver it');
        }
      } while (again);
    })().finally(() => {
      queueing = null;
    });
  };
  mail.deliverThrough(enqueue);
  runner.onStop(async () => {
    mail.deliverThrough(null);
    if (queueing) await queueing;
  });
}
