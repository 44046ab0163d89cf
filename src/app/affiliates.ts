// Affiliates (api.md "Affiliates", R10.1): usernames are checked by the domain (reserved words,
// shape), unique without regard to case and immutable; emails are unique after normalising.
import { and, eq, or, sql } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { affiliates, applications, programs } from '../store/schema.js';
import { newId } from '../store/ids.js';
import { assertUsername, normaliseEmail } from '../domain/index.js';
import type { Clock } from './clock.js';
import { conflict, invalid, notFound } from './errors.js';
import { hashPassword } from './hashing.js';

export type AffiliateRow = typeof affiliates.$inferSelect;

export interface AffiliateInput {
  email: string;
  username: string;
  name: string;
  password?: string | undefined;
  recruitedBy?: string | undefined; // the recruiter's username (R6)
  customerId?: string | undefined;
  securityQuestion?: string | undefined;
  securityAnswer?: string | undefined;
}

export async function createAffiliate(tx: Tx, clock: Clock, reservedWords: readonly string[], input: AffiliateInput): Promise<AffiliateRow> {
  assertUsername(input.username, reservedWords);
  const email = normaliseEmail(input.email);
  const usernameLower = input.username.toLowerCase();
  const clash = await tx
    .select({ usernameLower: affiliates.usernameLower, email: affiliates.email })
    .from(affiliates)
    .where(or(eq(affiliates.usernameLower, usernameLower), eq(affiliates.email, email)));
  if (clash.some((c) => c.usernameLower === usernameLower)) {
    throw conflict('username_taken', `The username "${input.username}" is taken (usernames ignore case).`);
  }
  if (clash.length > 0) throw conflict('email_taken', 'An affiliate with this email already exists.');

  let recruitedBy: string | null = null;
  if (input.recruitedBy) {
    const recruiter = await tx
      .select({ id: affiliates.id })
      .from(affiliates)
      .where(eq(affiliates.usernameLower, input.recruitedBy.toLowerCase()));
    if (!recruiter[0]) {
      throw invalid('recruiter_unknown', `No affiliate with username "${input.recruitedBy}".`, [
        { field: 'recruited_by', message: 'no affiliate with this username' },
      ]);
    }
    recruitedBy = recruiter[0].id;
  }
  const row: AffiliateRow = {
    id: newId('aff'),
    username: input.username,
    usernameLower,
    email,
    name: input.name,
    passwordHash: input.password ? await hashPassword(input.password) : null,
    securityQuestion: input.securityQuestion ?? null,
    securityAnswerHash: input.securityAnswer ? await hashPassword(input.securityAnswer.trim().toLowerCase()) : null,
    recruitedBy,
    customerId: input.customerId ?? null,
    createdAt: clock.now(),
  };
  await tx.insert(affiliates).values(row);
  return row;
}

export async function findAffiliate(tx: Tx, id: string): Promise<AffiliateRow> {
  const rows = await tx.select().from(affiliates).where(eq(affiliates.id, id));
  if (!rows[0]) throw notFound('affiliate', id);
  return rows[0];
}

export async function findAffiliateByLogin(tx: Tx, login: string): Promise<AffiliateRow | undefined> {
  const l = login.trim().toLowerCase();
  const rows = await tx.select().from(affiliates).where(or(eq(affiliates.usernameLower, l), eq(affiliates.email, l)));
  return rows[0];
}

/** An affiliate's enrolments: each program they applied to, with the latest application. */
export async function enrolmentsOf(tx: Tx, affiliateId: string) {
  return tx
    .select({
      applicationId: applications.id,
      program: programs.slug,
      status: applications.status,
      reason: applications.reason,
      appliedAt: applications.createdAt,
      decidedAt: applications.decidedAt,
    })
    .from(applications)
    .innerJoin(programs, eq(programs.id, applications.programId))
    .where(and(eq(applications.affiliateId, affiliateId)))
    .orderBy(programs.slug, sql`${applications.createdAt} desc`);
}
