// Housekeeping on pg-boss: every hour, one `housekeeping.purge` pass deletes expired sessions,
// password-reset tokens and failed-login counters (src/app/housekeeping.ts). The queue is
// 'stately' with no retries: across instances at most one pass runs, and a failed one waits for
// the next hour.
import type { Logger } from 'pino';
import type { Clock } from '../app/clock.js';
import { purgeExpired } from '../app/housekeeping.js';
import type { Database } from '../store/db.js';
import type { Boss } from './boss.js';

export const HOUSEKEEPING_PURGE = 'housekeeping.purge';
export const HOUSEKEEPING_PURGE_CRON = '17 * * * *';

export async function registerHousekeepingJobs(runner: Boss, database: Database, clock: Clock, log: Logger): Promise<void> {
  const { boss } = runner;
  await boss.createQueue(HOUSEKEEPING_PURGE, { name: HOUSEKEEPING_PURGE, policy: 'stately', retryLimit: 0 });
  await runner.work(HOUSEKEEPING_PURGE, async () => {
    const purged = await purgeExpired(database, clock);
    if (purged.sessions + purged.passwordResets + purged.loginAttempts > 0) log.info(purged, 'expired rows purged');
  });
  await boss.schedule(HOUSEKEEPING_PURGE, HOUSEKEEPING_PURGE_CRON, {}, { tz: 'UTC' });
}
