// The background work of a server: pg-boss on the application's database with the payouts poller,
// mail delivery and the hourly housekeeping registered. main.ts starts it after migrations and
// stops it before closing the database; in-process test apps start it only when asked
// (makeTestApp({ jobs: true })).
import type { Logger } from 'pino';
import type { Database } from '../store/db.js';
import type { Clock } from '../app/clock.js';
import type { MailDelivery } from '../app/mail.js';
import type { PayoutSendDeps } from '../app/payout-send.js';
import { startBoss, type Boss, type JobTiming } from './boss.js';
import { registerPayoutJobs } from './payouts.js';
import { registerMailJobs } from './mail.js';
import { registerHousekeepingJobs } from './housekeeping.js';

export interface JobsOptions {
  database: Database;
  payouts: PayoutSendDeps;
  /** The system clock, which sessions and reset tokens are stamped with (housekeeping). */
  clock: Clock;
  /** Delivery of the mail outbox (SMTP); absent, mail stays for the dev mailbox. */
  mail?: MailDelivery | undefined;
  log: Logger;
  timing?: JobTiming | undefined;
}

export type Jobs = Pick<Boss, 'boss' | 'stop'>;

export async function startJobs(options: JobsOptions): Promise<Jobs> {
  const runner = await startBoss({ database: options.database, log: options.log, timing: options.timing });
  try {
    await registerPayoutJobs(runner, options.payouts, options.log.child({ job: 'payouts' }));
    await registerMailJobs(runner, options.mail, options.log.child({ job: 'mail' }));
    await registerHousekeepingJobs(runner, options.database, options.clock, options.log.child({ job: 'housekeeping' }));
  } catch (error) {
    await runner.stop();
    throw error;
  }
  return { boss: runner.boss, stop: () => runner.stop() };
}
