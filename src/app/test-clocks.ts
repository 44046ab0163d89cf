// Test clocks (api.md "Clocks"): a frozen instant that only moves forward. A program bound to
// one reads its time from it everywhere (clicks, default event times, holds, tiers, payout months).
import { eq } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { testClocks } from '../store/schema.js';
import { newId } from '../store/ids.js';
import type { Clock } from './clock.js';
import { badRequest, notFound } from './errors.js';

export interface TestClockView {
  id: string;
  frozen_time: string;
}

const view = (row: { id: string; frozenTime: Date }): TestClockView => ({ id: row.id, frozen_time: row.frozenTime.toISOString() });

export async function createTestClock(tx: Tx, clock: Clock, frozenTime: Date): Promise<TestClockView> {
  const row = { id: newId('clock'), frozenTime, createdAt: clock.now() };
  await tx.insert(testClocks).values(row);
  return view(row);
}

export async function getTestClock(tx: Tx, id: string): Promise<TestClockView> {
  const rows = await tx.select().from(testClocks).where(eq(testClocks.id, id));
  if (!rows[0]) throw notFound('test_clock', id);
  return view(rows[0]);
}

export async function advanceTestClock(tx: Tx, id: string, frozenTime: Date): Promise<TestClockView> {
  // Lock the clock row so two concurrent advances cannot both pass the "forward only" check.
  const rows = await tx.select().from(testClocks).where(eq(testClocks.id, id)).for('update');
  const current = rows[0];
  if (!current) throw notFound('test_clock', id);
  if (frozenTime.getTime() < current.frozenTime.getTime()) {
    throw badRequest('clock_backwards', `A test clock only moves forward: ${frozenTime.toISOString()} is before ${current.frozenTime.toISOString()}.`);
  }
  await tx.update(testClocks).set({ frozenTime }).where(eq(testClocks.id, id));
  return view({ id, frozenTime });
}

/** The program's "now": its test clock's frozen time, or the system clock. */
export async function programNow(tx: Tx, program: { testClockId: string | null }, clock: Clock): Promise<Date> {
  if (!program.testClockId) return clock.now();
  const rows = await tx.select({ frozenTime: testClocks.frozenTime }).from(testClocks).where(eq(testClocks.id, program.testClockId));
  if (!rows[0]) throw notFound('test_clock', program.testClockId);
  return rows[0].frozenTime;
}
