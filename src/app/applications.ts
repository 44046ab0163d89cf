// Applications and enrolment (R1.1–R1.2): pending → approved | denied (with a reason); a denied
// affiliate may reapply; an approved one may be dismissed. Applying to one program grants
// nothing in another.
import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { affiliates, applications, programs } from '../store/schema.js';
import { newId } from '../store/ids.js';
import type { Clock } from './clock.js';
import { conflict, invalid, notFound } from './errors.js';
import { findProgram } from './programs.js';
import { programNow } from './test-clocks.js';
import { queueMail, templates, type Mail } from './mail.js';

export type ApplicationRow = typeof applications.$inferSelect;
export type ApplicationStatus = 'pending' | 'approved' | 'denied' | 'dismissed';

export interface ApplyInput {
  program: string;
  affiliateId: string;
  termsVersion: string;
  website?: string | undefined;
  socialLinks?: string[] | undefined;
  answer?: string | undefined;
}

export async function applyToProgram(tx: Tx, clock: Clock, input: ApplyInput): Promise<ApplicationRow> {
  const program = await findProgram(tx, input.program);
  const affiliate = await tx.select({ id: affiliates.id }).from(affiliates).where(eq(affiliates.id, input.affiliateId));
  if (!affiliate[0]) {
    throw invalid('affiliate_unknown', `No affiliate with id "${input.affiliateId}".`, [{ field: 'affiliate_id', message: 'no such affiliate' }]);
  }
  const open = await tx
    .select({ id: applications.id, status: applications.status })
    .from(applications)
    .where(
      and(
        eq(applications.programId, program.id),
        eq(applications.affiliateId, input.affiliateId),
        inArray(applications.status, ['pending', 'approved', 'dismissed']),
      ),
    );
  if (open[0]) {
    // R1.2: only a denied affiliate may apply again.
    throw conflict('application_exists', `This affiliate already has a ${open[0].status} application (${open[0].id}) in "${program.slug}".`);
  }
  const now = await programNow(tx, program, clock);
  const row: ApplicationRow = {
    id: newId('appl'),
    programId: program.id,
    affiliateId: input.affiliateId,
    status: 'pending',
    termsVersion: input.termsVersion,
    termsAcceptedAt: now,
    website: input.website ?? null,
    socialLinks: input.socialLinks ?? [],
    answer: input.answer ?? null,
    reason: null,
    decidedAt: null,
    dismissedAt: null,
    createdAt: clock.now(),
  };
  await tx.insert(applications).values(row);
  return row;
}

export async function findApplication(tx: Tx, id: string, lock = false): Promise<ApplicationRow> {
  const q = tx.select().from(applications).where(eq(applications.id, id));
  const rows = lock ? await q.for('update') : await q;
  if (!rows[0]) throw notFound('application', id);
  return rows[0];
}

async function transition(
  tx: Tx,
  clock: Clock,
  id: string,
  from: ApplicationStatus,
  to: ApplicationStatus,
  reason: string | null,
): Promise<ApplicationRow> {
  const current = await findApplication(tx, id, true);
  if (current.status !== from) {
    throw conflict('application_state', `Application ${id} is ${current.status}; only a ${from} application can become ${to}.`);
  }
  const programRows = await tx.select().from(programs).where(eq(programs.id, current.programId));
  const now = await programNow(tx, programRows[0]!, clock);
  const changes =
    to === 'dismissed' ? { status: to, reason, dismissedAt: now } : { status: to, reason, decidedAt: now };
  await tx.update(applications).set(changes).where(eq(applications.id, id));
  return { ...current, ...changes };
}

export async function approveApplication(tx: Tx, clock: Clock, id: string): Promise<ApplicationRow> {
  const row = await transition(tx, clock, id, 'pending', 'approved', null);
  await mailDecision(tx, clock, row, (person, programName) => templates.applicationApproved({ name: person.name, programName }));
  return row;
}

export async function denyApplication(tx: Tx, clock: Clock, id: string, reason: string): Promise<ApplicationRow> {
  const row = await transition(tx, clock, id, 'pending', 'denied', reason);
  await mailDecision(tx, clock, row, (person, programName) => templates.applicationDenied({ name: person.name, programName, reason }));
  return row;
}

/** Tells the affiliate about the decision, through the outbox of the deciding transaction. */
async function mailDecision(tx: Tx, clock: Clock, row: ApplicationRow, mail: (person: { name: string }, programName: string) => Mail): Promise<void> {
  const person = (await tx.select({ email: affiliates.email, name: affiliates.name }).from(affiliates).where(eq(affiliates.id, row.affiliateId)))[0];
  const program = (await tx.select({ name: programs.name }).from(programs).where(eq(programs.id, row.programId)))[0];
  if (person && program) await queueMail(tx, clock, person.email, mail(person, program.name));
}

/** R1.2: a dismissed affiliate's links still redirect but credit nothing; what was due is still paid. */
export const dismissApplication = (tx: Tx, clock: Clock, id: string, reason: string) =>
  transition(tx, clock, id, 'approved', 'dismissed', reason);
