// Programs (api.md "Programs", R1): create, read, update. Settings are checked by the domain
// (R1.4 rates 10–100%, hold ≥ refund window, a consistent plan) before anything is written.
import { eq } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { programs, testClocks } from '../store/schema.js';
import { newId } from '../store/ids.js';
import { DEFAULT_PLAN, validateProgramSettings, type Plan, type ProgramSettings } from '../domain/index.js';
import type { Clock } from './clock.js';
import { conflict, invalid, notFound } from './errors.js';

export type ProgramRow = typeof programs.$inferSelect;

export interface ProgramInput {
  slug: string;
  name: string;
  currency: string;
  landingUrl: string;
  cookieDays: number;
  holdDays: number;
  refundDays: number;
  jvRateBps: number;
  plan: 'default' | Plan;
  testClockId?: string | undefined;
  termsVersion?: string | undefined;
  termsText?: string | undefined;
}

export type ProgramPatch = Partial<Omit<ProgramInput, 'slug' | 'testClockId'>>;

/** The domain's view of a stored program. */
export function settingsOf(row: ProgramRow): ProgramSettings {
  return {
    currency: row.currency,
    cookieDays: row.cookieDays,
    holdDays: row.holdDays,
    refundDays: row.refundDays,
    jvRateBps: row.jvRateBps,
    plan: row.plan as Plan,
  };
}

function checkSettings(input: Omit<ProgramInput, 'slug' | 'name' | 'landingUrl'>): Plan {
  const plan = input.plan === 'default' ? DEFAULT_PLAN : input.plan;
  validateProgramSettings({
    currency: input.currency,
    cookieDays: input.cookieDays,
    holdDays: input.holdDays,
    refundDays: input.refundDays,
    jvRateBps: input.jvRateBps,
    plan,
  });
  return plan;
}

export async function createProgram(tx: Tx, clock: Clock, input: ProgramInput): Promise<ProgramRow> {
  const plan = checkSettings(input);
  const existing = await tx.select({ id: programs.id }).from(programs).where(eq(programs.slug, input.slug));
  if (existing.length > 0) throw conflict('program_slug_taken', `A program with slug "${input.slug}" already exists.`);
  if (input.testClockId) {
    const clocks = await tx.select({ id: testClocks.id }).from(testClocks).where(eq(testClocks.id, input.testClockId));
    if (clocks.length === 0) {
      throw invalid('test_clock_unknown', `No test clock with id "${input.testClockId}".`, [{ field: 'test_clock', message: 'no such test clock' }]);
    }
  }
  const now = clock.now();
  const row: ProgramRow = {
    id: newId('prog'),
    slug: input.slug,
    name: input.name,
    currency: input.currency,
    landingUrl: input.landingUrl,
    cookieDays: input.cookieDays,
    holdDays: input.holdDays,
    refundDays: input.refundDays,
    jvRateBps: input.jvRateBps,
    planName: input.plan === 'default' ? 'default' : 'custom',
    plan,
    termsVersion: input.termsVersion ?? 'v1',
    termsText: input.termsText ?? '',
    testClockId: input.testClockId ?? null,
    createdAt: now,
    updatedAt: now,
  };
  await tx.insert(programs).values(row);
  return row;
}

export async function findProgram(tx: Tx, slug: string): Promise<ProgramRow> {
  const rows = await tx.select().from(programs).where(eq(programs.slug, slug));
  if (!rows[0]) throw notFound('program', slug);
  return rows[0];
}

export async function listPrograms(tx: Tx): Promise<ProgramRow[]> {
  return tx.select().from(programs).orderBy(programs.createdAt, programs.id);
}

/**
 * Changes a program's settings. A change applies to what happens next: commissions already
 * created keep the rate and hold they were created with (R5.4, R7.2).
 */
export async function updateProgram(tx: Tx, clock: Clock, slug: string, patch: ProgramPatch): Promise<ProgramRow> {
  const rows = await tx.select().from(programs).where(eq(programs.slug, slug)).for('update');
  const current = rows[0];
  if (!current) throw notFound('program', slug);
  const merged = {
    currency: patch.currency ?? current.currency,
    cookieDays: patch.cookieDays ?? current.cookieDays,
    holdDays: patch.holdDays ?? current.holdDays,
    refundDays: patch.refundDays ?? current.refundDays,
    jvRateBps: patch.jvRateBps ?? current.jvRateBps,
    plan: patch.plan ?? (current.planName === 'default' ? ('default' as const) : (current.plan as Plan)),
  };
  const plan = checkSettings(merged);
  const next = {
    ...merged,
    plan,
    planName: merged.plan === 'default' ? 'default' : 'custom',
    name: patch.name ?? current.name,
    landingUrl: patch.landingUrl ?? current.landingUrl,
    termsVersion: patch.termsVersion ?? current.termsVersion,
    termsText: patch.termsText ?? current.termsText,
    updatedAt: clock.now(),
  };
  await tx.update(programs).set(next).where(eq(programs.id, current.id));
  return { ...current, ...next };
}
