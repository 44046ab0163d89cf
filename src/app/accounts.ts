// Accounts of the portal and the console (R10): sign-up, login with email or username, the
// login throttle (R10.3), password reset by a one-time expiring emailed link (R10.2), and
// changes of email or password that need the security answer or the current password.
import { and, count, eq, gt, isNull, ne } from 'drizzle-orm';
import type { Database, Tx } from '../store/db.js';
import { admins, affiliates, links, mailOutbox, passwordResets, sessions } from '../store/schema.js';
import { newId, randomToken } from '../store/ids.js';
import { checkUsername, normaliseEmail } from '../domain/index.js';
import type { Clock } from './clock.js';
import { createAffiliate, findAffiliate, findAffiliateByLogin, type AffiliateRow } from './affiliates.js';
import { AppError, conflict, invalid } from './errors.js';
import { hashPassword, sha256, verifyPassword } from './hashing.js';
import {
  clearLoginFailures,
  createSession,
  deleteSessionsOf,
  lockRemainingSeconds,
  recordLoginFailure,
  throttleKey,
  type CreatedSession,
  type PrincipalKind,
} from './sessions.js';

/** R10.2: a reset link works once, for one hour. */
export const RESET_TTL_MS = 60 * 60 * 1000;

/**
 * At most this many reset mails per account in any hour (a reset link lives that long): asking
 * more often sends nothing, so the form cannot be used to flood someone's inbox.
 */
export const RESETS_PER_HOUR = 3;

export interface SignupInput {
  email: string;
  username: string;
  name: string;
  password: string;
  securityQuestion: string;
  securityAnswer: string;
  /** The code of the JV link the visitor came through (R6), if any. */
  jv?: string | undefined;
}

/**
 * R6: the recruiter named by a JV link code. The redirect of a JV link sends `jv=<code>`; a
 * username is accepted too, so a recruiter can also share "…/signup?jv=jane". An unknown
 * code recruits nobody: a stale link must not stop anyone from signing up.
 */
export async function recruiterUsername(tx: Tx, jv: string | undefined): Promise<string | undefined> {
  if (!jv) return undefined;
  const byLink = await tx
    .select({ username: affiliates.username })
    .from(links)
    .innerJoin(affiliates, eq(affiliates.id, links.affiliateId))
    .where(and(eq(links.code, jv), eq(links.kind, 'jv')))
    .limit(1);
  if (byLink[0]) return byLink[0].username;
  const byName = await tx.select({ username: affiliates.username }).from(affiliates).where(eq(affiliates.usernameLower, jv.toLowerCase())).limit(1);
  return byName[0]?.username;
}

export async function signUp(tx: Tx, clock: Clock, reservedWords: readonly string[], input: SignupInput): Promise<AffiliateRow> {
  return createAffiliate(tx, clock, reservedWords, {
    email: input.email,
    username: input.username,
    name: input.name,
    password: input.password,
    securityQuestion: input.securityQuestion,
    securityAnswer: input.securityAnswer,
    recruitedBy: await recruiterUsername(tx, input.jv),
  });
}

export type UsernameAvailability =
  | { available: true }
  | { available: false; code: 'username_invalid' | 'username_reserved' | 'username_taken'; message: string };

/** R10.1 as the visitor types: the same rules `createAffiliate` enforces, without writing. */
export async function usernameAvailability(tx: Tx, reservedWords: readonly string[], username: string): Promise<UsernameAvailability> {
  const check = checkUsername(username, reservedWords);
  if (!check.ok) return { available: false, code: check.error.code as 'username_invalid', message: check.error.message };
  const taken = await tx.select({ id: affiliates.id }).from(affiliates).where(eq(affiliates.usernameLower, check.key)).limit(1);
  if (taken[0]) return { available: false, code: 'username_taken', message: `The username "${username}" is taken (usernames ignore case).` };
  return { available: true };
}

// ---------------------------------------------------------------------------------------------
// Login (R10.1 email or username; R10.3 throttle)

export type LoginOutcome =
  | { kind: 'ok'; principalId: string; session: CreatedSession }
  | { kind: 'locked'; retryAfterSeconds: number }
  | { kind: 'failed' };

let dummyHash: Promise<string> | undefined;
/** A hash to verify against when the login is unknown, so both cases take the same time. */
function timingDummy(): Promise<string> {
  dummyHash ??= hashPassword(randomToken(24));
  return dummyHash;
}

async function attemptLogin(
  database: Database,
  clock: Clock,
  kind: PrincipalKind,
  login: string,
  password: string,
  lookup: (tx: Tx) => Promise<{ id: string; passwordHash: string | null } | undefined>,
): Promise<LoginOutcome> {
  return database.transaction(async (tx) => {
    const account = await lookup(tx);
    const key = throttleKey(kind, account?.id, login);
    const wait = await lockRemainingSeconds(tx, clock, key);
    // A locked login is refused even with the right password: that is what a lock means.
    if (wait > 0) return { kind: 'locked', retryAfterSeconds: wait };
    const hash = account?.passwordHash ?? (await timingDummy());
    const ok = (await verifyPassword(hash, password)) && account?.passwordHash != null;
    if (!account || !ok) {
      const lockedFor = await recordLoginFailure(tx, clock, key);
      return lockedFor > 0 ? { kind: 'locked', retryAfterSeconds: lockedFor } : { kind: 'failed' };
    }
    await clearLoginFailures(tx, key);
    return { kind: 'ok', principalId: account.id, session: await createSession(tx, clock, kind, account.id) };
  });
}

/** An affiliate logs in with their email or username (R10.1). */
export function loginAffiliate(database: Database, clock: Clock, login: string, password: string): Promise<LoginOutcome> {
  return attemptLogin(database, clock, 'affiliate', login, password, (tx) => findAffiliateByLogin(tx, login));
}

export function loginAdmin(database: Database, clock: Clock, email: string, password: string): Promise<LoginOutcome> {
  return attemptLogin(database, clock, 'admin', email, password, async (tx) => {
    const rows = await tx.select({ id: admins.id, passwordHash: admins.passwordHash }).from(admins).where(eq(admins.email, normaliseEmail(email)));
    return rows[0];
  });
}

export const invalidCredentials = () =>
  new AppError('unauthorized', 'invalid_credentials', 'That login and password do not match. Check for extra spaces, or reset your password.');

// ---------------------------------------------------------------------------------------------
// R10.2: password reset by a one-time, expiring link.

/**
 * Asks for a reset with the username (the email works too). Always succeeds from outside, so
 * the answer never tells whether an account exists; when it does, a link is written to the
 * outbox in the same transaction, unless RESETS_PER_HOUR were already sent in the last hour (the
 * links already sent still work; the answer is the same either way).
 */
export async function requestPasswordReset(tx: Tx, clock: Clock, publicUrl: string, login: string): Promise<void> {
  const affiliate = await findAffiliateByLogin(tx, login);
  if (!affiliate) return;
  const now = clock.now();
  const recent = await tx
    .select({ n: count() })
    .from(passwordResets)
    .where(and(eq(passwordResets.affiliateId, affiliate.id), gt(passwordResets.createdAt, new Date(now.getTime() - RESET_TTL_MS))));
  if ((recent[0]?.n ?? 0) >= RESETS_PER_HOUR) return;
  const token = randomToken(40);
  await tx.insert(passwordResets).values({
    tokenHash: sha256(token),
    affiliateId: affiliate.id,
    expiresAt: new Date(now.getTime() + RESET_TTL_MS),
    usedAt: null,
    createdAt: now,
  });
  const url = `${publicUrl}/reset?token=${token}`;
  await tx.insert(mailOutbox).values({
    id: newId('mail'),
    to: affiliate.email,
    subject: 'Reset your affiliate password',
    text: [
      `Hi ${affiliate.name},`,
      '',
      `Someone (hopefully you) asked to reset the password of the affiliate account "${affiliate.username}".`,
      `Open this link within the next hour to choose a new password. It works once:`,
      '',
      url,
      '',
      'If you did not ask for this, ignore this email: your password stays as it is.',
    ].join('\n'),
    template: 'password_reset',
    createdAt: now,
  });
}

const resetTokenInvalid = () =>
  invalid('reset_token_invalid', 'This reset link has expired or was already used. Ask for a new one.', [
    { field: 'token', message: 'expired or already used' },
  ]);

/** Sets a new password through a reset token: once, before it expires. Ends every session. */
export async function confirmPasswordReset(tx: Tx, clock: Clock, token: string, newPassword: string): Promise<AffiliateRow> {
  const now = clock.now();
  const rows = await tx
    .select()
    .from(passwordResets)
    .where(and(eq(passwordResets.tokenHash, sha256(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now)))
    .for('update');
  const reset = rows[0];
  if (!reset) throw resetTokenInvalid();
  // Spending the token is the guard: a second use finds `used_at` set and changes nothing.
  const spent = await tx
    .update(passwordResets)
    .set({ usedAt: now })
    .where(and(eq(passwordResets.tokenHash, reset.tokenHash), isNull(passwordResets.usedAt)))
    .returning({ tokenHash: passwordResets.tokenHash });
  if (spent.length === 0) throw resetTokenInvalid();
  await tx.update(affiliates).set({ passwordHash: await hashPassword(newPassword) }).where(eq(affiliates.id, reset.affiliateId));
  await deleteSessionsOf(tx, 'affiliate', reset.affiliateId);
  // A reset also lifts an R10.3 lock: the owner has just proved control of the mailbox.
  await clearLoginFailures(tx, throttleKey('affiliate', reset.affiliateId, ''));
  return findAffiliate(tx, reset.affiliateId);
}

// ---------------------------------------------------------------------------------------------
// R10.2: changing the email or the password needs the security answer or the current password.

export interface Proof {
  securityAnswer?: string | undefined;
  currentPassword?: string | undefined;
}

async function assertProof(row: AffiliateRow, proof: Proof): Promise<void> {
  if (proof.currentPassword) {
    if (row.passwordHash && (await verifyPassword(row.passwordHash, proof.currentPassword))) return;
    throw invalid('proof_failed', 'The current password is wrong.', [{ field: 'current_password', message: 'is wrong' }]);
  }
  if (proof.securityAnswer) {
    const normalised = proof.securityAnswer.trim().toLowerCase();
    if (row.securityAnswerHash && (await verifyPassword(row.securityAnswerHash, normalised))) return;
    throw invalid('proof_failed', 'The answer to your security question is wrong.', [{ field: 'security_answer', message: 'is wrong' }]);
  }
  throw invalid('proof_required', 'Confirm with the answer to your security question or your current password.', [
    { field: 'security_answer', message: 'answer your security question (or give your current password)' },
  ]);
}

export async function changeEmail(tx: Tx, affiliateId: string, email: string, proof: Proof): Promise<AffiliateRow> {
  const rows = await tx.select().from(affiliates).where(eq(affiliates.id, affiliateId)).for('update');
  const row = rows[0];
  if (!row) throw invalid('affiliate_unknown', 'No such affiliate.');
  await assertProof(row, proof);
  const normalised = normaliseEmail(email);
  if (normalised !== row.email) {
    const taken = await tx.select({ id: affiliates.id }).from(affiliates).where(eq(affiliates.email, normalised)).limit(1);
    if (taken[0]) throw conflict('email_taken', 'An affiliate with this email already exists.');
    await tx.update(affiliates).set({ email: normalised }).where(eq(affiliates.id, affiliateId));
  }
  return { ...row, email: normalised };
}

export async function changePassword(tx: Tx, affiliateId: string, newPassword: string, proof: Proof, keepSessionTokenHash?: string): Promise<void> {
  const rows = await tx.select().from(affiliates).where(eq(affiliates.id, affiliateId)).for('update');
  const row = rows[0];
  if (!row) throw invalid('affiliate_unknown', 'No such affiliate.');
  await assertProof(row, proof);
  await tx.update(affiliates).set({ passwordHash: await hashPassword(newPassword) }).where(eq(affiliates.id, affiliateId));
  // Other devices are signed out; the one that changed it stays signed in.
  await deleteOtherSessions(tx, affiliateId, keepSessionTokenHash);
}

async function deleteOtherSessions(tx: Tx, affiliateId: string, keep: string | undefined): Promise<void> {
  await tx
    .delete(sessions)
    .where(
      and(
        eq(sessions.principalKind, 'affiliate'),
        eq(sessions.principalId, affiliateId),
        keep ? ne(sessions.tokenHash, keep) : undefined,
      ),
    );
}

/** The admin row a session names (the console shows who is signed in). */
export async function findAdmin(tx: Tx, id: string) {
  const rows = await tx.select({ id: admins.id, email: admins.email, name: admins.name }).from(admins).where(eq(admins.id, id));
  return rows[0];
}
