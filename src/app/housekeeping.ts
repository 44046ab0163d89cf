// Rows that nothing reads once they expire: sessions past their expiry, and password-reset tokens
// past theirs (which are also past the reset request's one-hour rate-limit window, RESET_TTL_MS).
// The hourly `housekeeping.purge` job (src/jobs/housekeeping.ts) deletes them, so that the tables
// stay as small as the people signed in.
import { lt } from 'drizzle-orm';
import type { Database } from '../store/db.js';
import { passwordResets, sessions } from '../store/schema.js';
import type { Clock } from './clock.js';

export interface Purged {
  sessions: number;
  passwordResets: number;
}

/** Deletes the expired sessions and password-reset tokens, by the system clock; answers how many. */
export async function purgeExpired(database: Database, clock: Clock): Promise<Purged> {
  return database.transaction(async (tx) => {
    const now = clock.now();
    const gone = await tx.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ tokenHash: sessions.tokenHash });
    const resets = await tx.delete(passwordResets).where(lt(passwordResets.expiresAt, now)).returning({ tokenHash: passwordResets.tokenHash });
    return { sessions: gone.length, passwordResets: resets.length };
  });
}
