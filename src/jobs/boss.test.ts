// Proves pg-boss runs on this run's backend over our own connection: its schema installs and a job
// round-trips, a pg-boss statement never runs inside one of our transactions (on PGlite it waits
// for the single connection, it does not join the open transaction), and a multi-statement
// command that fails leaves no aborted transaction behind for our next query.
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/db.js';
import { TEST_JOB_TIMING } from '../../test/support/app.js';
import { FixedClock } from '../app/clock.js';
import { queueMail, templates } from '../app/mail.js';
import type { Database } from '../store/db.js';
import { bossConnection, startBoss, type Boss } from './boss.js';
import { jobRows } from './test-support.js';

const log = pino({ level: 'silent' });
const clock = new FixedClock(new Date('2027-01-01T00:00:00Z'));
let database: Database;
let runner: Boss;

beforeEach(async () => {
  database = await openTestDatabase();
  runner = await startBoss({ database, log, timing: TEST_JOB_TIMING });
  await runner.boss.createQueue('probe', { name: 'probe' });
});
afterEach(async () => {
  await runner.stop();
  await database.close();
});

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

it('installs its own schema and works a job', async () => {
  expect(await runner.boss.schemaVersion()).toBeGreaterThan(0);
  const seen: unknown[] = [];
  await runner.work<{ n: number }>('probe', async (data) => void seen.push(data));
  await runner.boss.send('probe', { n: 1 });
  await expect.poll(() => seen, { timeout: 10_000, interval: 50 }).toEqual([{ n: 1 }]);
  await expect.poll(async () => (await jobRows(database, 'probe')).map((j) => j.state), { timeout: 10_000, interval: 50 }).toEqual(['completed']);
});

it('never runs a statement inside one of our transactions, and is not lost when ours rolls back', async () => {
  let queued: Promise<string | null> | undefined;
  const rolledBack = database.transaction(async (tx) => {
    await queueMail(tx, clock, 'ana@example.com', templates.applicationApproved({ name: 'Ana', programName: 'Kartra' }));
    // Queued while our transaction is open, but not awaited in it (that would deadlock PGlite).
    queued = runner.boss.send('probe', { n: 2 });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    throw new Error('roll back');
  });
  await expect(rolledBack).rejects.toThrow('roll back');
  const id = await queued!;
  expect(id).toEqual(expect.any(String));
  expect((await jobRows(database, 'probe')).map((j) => j.id)).toEqual([id]);
  const mail = await database.transaction((tx) => tx.execute(sql`select count(*)::int as n from mail_outbox`));
  expect(rowsOf<{ n: number }>(mail)[0]!.n).toBe(0);
});

it('rolls back a failing multi-statement command before our next query', async () => {
  const connection = bossConnection(database);
  await expect(connection.executeSql('BEGIN; CREATE TABLE boss_probe (x int); SELECT 1/0; COMMIT;', [])).rejects.toThrow(/division by zero/);
  // Every connection (PGlite has one; the test pool has five) is usable and outside any transaction.
  const answers = await Promise.all(
    Array.from({ length: 5 }, () =>
      database.transaction(async (tx) => {
        await tx.execute(sql`select pg_sleep(0.02)`);
        return rowsOf<{ probe: string | null }>(await tx.execute(sql`select to_regclass('boss_probe')::text as probe`))[0]!.probe;
      }),
    ),
  );
  expect(answers).toEqual([null, null, null, null, null]);
  await connection.close();
});
