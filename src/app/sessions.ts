// Sessions of the portal and the console, and the login throttle (R10.3).
// A session token is 160+ bits of randomness kept only in the browser's HttpOnly cookie; the
// database holds its SHA-256, so a leaked table does not open anyone's session. Each session
// carries its own CSRF token, which the SPA reads from GET /api/v1/session and echoes in
// `x-csrf-token` on every state-changing request.
import { and, eq, gt } from 'drizzle-orm';
import type { Db, Tx } from '../store/db.js';
import { loginAttempts, sessions } from '../store/schema.js';
import { randomToken } from '../store/ids.js';
import type { Clock } from './clock.js';
import { AppError } from './errors.js';
import { sha256 } from './hashing.js';

export type PrincipalKind = 'affiliate' | 'admin';

export interface SessionRow {
  tokenHash: string;
  principalKind: string;
  principalId: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

/** How long a session lives. An admin's is shorter: the console can move money. */
export const SESSION_TTL_MS: Record<PrincipalKind, number> = {
  affiliate: 14 * 24 * 60 * 60 * 1000,
  admin: 12 * 60 * 60 * 1000,
};

export interface CreatedSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function createSession(tx: Tx, clock: Clock, kind: PrincipalKind, principalId: string): Promise<CreatedSession> {
  const token = randomToken(40);
  const csrfToken = randomToken(32);
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS[kind]);
  await tx.insert(sessions).values({ tokenHash: sha256(token), principalKind: kind, principalId, csrfToken, createdAt: now, expiresAt });
  return { token, csrfToken, expiresAt };
}

/** The live session a cookie names, or null (unknown, or expired at `clock`'s now). */
export async function findSession(db: Db | Tx, clock: Clock, token: string): Promise<SessionRow | null> {
  const rows = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.tokenHash, sha256(token)), gt(sessions.expiresAt, clock.now())))
    .limit(1);
  return rows[0] ?? null;
}

export async function deleteSession(tx: Tx, token: string): Promise<void> {
  await tx.delete(sessions).where(eq(sessions.tokenHash, sha256(token)));
}

/** Ends every session of one principal (after a password reset or change). */
export async function deleteSessionsOf(tx: Tx, kind: PrincipalKind, principalId: string): Promise<void> {
  await tx.delete(sessions).where(and(eq(sessions.principalKind, kind), eq(sessions.principalId, principalId)));
}

// ---------------------------------------------------------------------------------------------
// R10.3: repeated failed logins slow down, then lock for a while.

export const LOGIN_POLICY = {
  /** Failures before any delay: typos are normal. */
  freeFailures: 2,
  /** After that, each failure locks for `slowBaseMs × 2^(n − freeFailures − 1)`: 10 s, 20 s, … */
  slowBaseMs: 10_000,
  /** At this many consecutive failures the login locks for `lockMs`. */
  lockAfter: 5,
  lockMs: 15 * 60 * 1000,
  /** Failures older than this are forgotten. */
  forgetAfterMs: 60 * 60 * 1000,
} as const;

/**
 * The throttle key of a login attempt. When the login names an existing account the key is the
 * account, so that alternating between its email and its username does not reset the count;
 * an unknown login is throttled by the text typed, so both behave the same from outside.
 */
export function throttleKey(kind: PrincipalKind, accountId: string | undefined, login: string): string {
  return accountId ? `${kind}:${accountId}` : `${kind}-login:${login.trim().toLowerCase()}`;
}

export function loginLocked(seconds: number): AppError {
  return new AppError(
    'too_many',
    'login_locked',
    `Too many failed attempts. Wait ${humanSeconds(seconds)} before trying again, or reset your password.`,
  );
}

function humanSeconds(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/** Seconds until `key` may try again (0 when it may try now). */
export async function lockRemainingSeconds(tx: Tx, clock: Clock, key: string): Promise<number> {
  const rows = await tx.select().from(loginAttempts).where(eq(loginAttempts.login, key));
  const row = rows[0];
  if (!row?.lockedUntil) return 0;
  const ms = row.lockedUntil.getTime() - clock.now().getTime();
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}

/** Records a failure; returns the seconds the key is now locked for (0 = none yet). */
export async function recordLoginFailure(tx: Tx, clock: Clock, key: string): Promise<number> {
  const now = clock.now();
  const rows = await tx.select().from(loginAttempts).where(eq(loginAttempts.login, key)).for('update');
  const previous = rows[0];
  const stale = previous ? now.getTime() - previous.lastFailureAt.getTime() > LOGIN_POLICY.forgetAfterMs : true;
  const failures = (stale ? 0 : previous!.failures) + 1;
  let lockMs = 0;
  if (failures >= LOGIN_POLICY.lockAfter) lockMs = LOGIN_POLICY.lockMs;
  else if (failures > LOGIN_POLICY.freeFailures) lockMs = LOGIN_POLICY.slowBaseMs * 2 ** (failures - LOGIN_POLICY.freeFailures - 1);
  const lockedUntil = lockMs > 0 ? new Date(now.getTime() + lockMs) : null;
  if (previous) {
    await tx.update(loginAttempts).set({ failures, lockedUntil, lastFailureAt: now }).where(eq(loginAttempts.login, key));
  } else {
    await tx.insert(loginAttempts).values({ login: key, failures, lockedUntil, lastFailureAt: now });
  }
  return Math.ceil(lockMs / 1000);
}

export async function clearLoginFailures(tx: Tx, key: string): Promise<void> {
  await tx.delete(loginAttempts).where(eq(loginAttempts.login, key));
}
