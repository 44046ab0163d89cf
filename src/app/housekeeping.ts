// Rows that nothing reads once they expire: sessions past their expiry, password-reset tokens past
// theirs (which are also past the reset request's one-hour rate-limit window, RESET_TTL_MS), and
// failed-login counters older than LOGIN_POLICY.forgetAfterMs (the next failure would start again
// at one, and any lock they set ended long before: a lock lasts at most lockMs after the failure).
// Logins that name no account leave a counter each, so without this a password spray grows it.
// The hourly `housekeeping.purge` job (src/jobs/housekeeping.ts) deletes them, so that the tables
// stay as small as the people signed in.
import { lt } from 'drizzle-orm';
import type { Database } from '../store/db.js';
import { loginAttempts, passwordResets, sessions } from '../store/schema.js';
import type { Clock } from './clock.js';
import { LOGIN_POLICY } from './sessions.js';

export interface Purged {
  sessions: number;
  passwordResets: number;
  loginAttempts: number;
}

/** Deletes the expired sessions, password-reset tokens and failed-login counters, by the system clock; answers how many. */
export async function purgeExpired(database: Database, clock: Clock): Promise<Purged> {
  return database.transaction(async (tx) => {
    const now = clock.now();
    const gone = await tx.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ tokenHash: sessions.tokenHash });
    const resets = await tx.delete(passwordResets).where(lt(passwordResets.expiresAt, now)).returning({ tokenHash: passwordResets.tokenHash });
    const forgotten = await tx
      .delete(loginAttempts)
      .where(lt(loginAttempts.lastFailureAt, new Date(now.getTime() - LOGIN_POLICY.forgetAfterMs)))
      .returning({ login: loginAttempts.login });
    return { sessions: gone.length, passwordResets: resets.length, loginAttempts: forgotten.length };
  });
}
