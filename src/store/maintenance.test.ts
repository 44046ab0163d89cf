// The embedded database's autovacuum and checkpointer (maintenance.ts): autovacuum's thresholds,
// space that updates leave behind is reclaimed and reused, statistics appear, a timed checkpoint
// runs when WAL was written since the last one and not otherwise, nothing runs inside an open
// transaction, and the loop stops cleanly. On PostgreSQL the server's autovacuum and checkpointer
// do the work and maintainEmbedded does nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { backend, openTestDatabase } from '../../test/support/db.js';
import type { Database } from './db.js';
import { due, maintainEmbedded, startEmbeddedMaintenance } from './maintenance.js';

// PostgreSQL 15+ defaults: 50 + 20% dead, 1000 + 20% inserted, 50 + 10% changed.
const DEFAULTS = { vacuum: { base: 50, scale: 0.2 }, insert: { base: 1000, scale: 0.2 }, analyze: { base: 50, scale: 0.1 } };

describe('autovacuum’s rule', () => {
  it.each([
    ['a quiet table', { live: 10_000, dead: 2_000, insertedSinceVacuum: 3_000, modifiedSinceAnalyze: 1_050 }, { vacuum: false, analyze: false }],
    ['dead rows past 50 + 20% of the live ones', { live: 10_000, dead: 2_051, insertedSinceVacuum: 0, modifiedSinceAnalyze: 0 }, { vacuum: true, analyze: false }],
    ['inserts past 1000 + 20% (an append-only table gets its visibility map)', { live: 10_000, dead: 0, insertedSinceVacuum: 3_001, modifiedSinceAnalyze: 0 }, { vacuum: true, analyze: false }],
    ['changes past 50 + 10%', { live: 10_000, dead: 0, insertedSinceVacuum: 0, modifiedSinceAnalyze: 1_051 }, { vacuum: false, analyze: true }],
    ['a new small table', { live: 0, dead: 0, insertedSinceVacuum: 60, modifiedSinceAnalyze: 60 }, { vacuum: false, analyze: true }],
  ])('%s', (_name, counters, expected) => {
    expect(due(counters, DEFAULTS)).toEqual(expected);
  });
});

describe(`embedded maintenance on ${backend}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
    await database.transaction(async (tx) => {
      await tx.execute(sql`create table maintenance_probe (id int primary key, v int not null, pad text not null)`);
      await tx.execute(sql`insert into maintenance_probe select g, 0, repeat('x', 200) from generate_series(1, 2000) g`);
    });
  });
  afterAll(async () => {
    await database.close();
  });

  const size = async () => Number(((await database.transaction((tx) => tx.execute(sql`select pg_relation_size('maintenance_probe') as n`))) as unknown as { rows: Array<{ n: string | number }> }).rows[0]!.n);
  const updateAll = () => database.transaction((tx) => tx.execute(sql`update maintenance_probe set v = v + 1`));

  it.runIf(backend === 'postgres')('does nothing on PostgreSQL, whose autovacuum runs', async () => {
    expect(await maintainEmbedded(database)).toBeNull();
  });

  it.runIf(backend === 'pglite')('vacuums and analyzes a churned table, after which updates reuse its space', async () => {
    for (let i = 0; i < 3; i += 1) await updateAll(); // 6,000 dead rows beside 2,000 live ones
    const first = await maintainEmbedded(database);
    expect(first!.vacuumed).toContain('public.maintenance_probe');
    expect(first!.analyzed).toContain('public.maintenance_probe');
    const stats = (await database.transaction((tx) =>
      tx.execute(sql`select (select count(*) from pg_stats where tablename = 'maintenance_probe')::int as columns,
          (select n_dead_tup from pg_stat_user_tables where relname = 'maintenance_probe')::int as dead`),
    )) as unknown as { rows: Array<{ columns: number; dead: number }> };
    expect(stats.rows[0]).toEqual({ columns: 3, dead: 0 });
    // Nothing is due right after a pass.
    const second = await maintainEmbedded(database);
    expect(second!.vacuumed).not.toContain('public.maintenance_probe');
    expect(second!.analyzed).not.toContain('public.maintenance_probe');
    // The new versions of the next update go into the space the vacuum freed: the file does not grow.
    const before = await size();
    await updateAll();
    expect(await size()).toBe(before);
  });

  const lastCheckpoint = async () =>
    ((await database.transaction((tx) => tx.execute(sql`select checkpoint_lsn::text as lsn from pg_control_checkpoint()`))) as unknown as { rows: Array<{ lsn: string }> }).rows[0]!.lsn;

  it.runIf(backend === 'pglite')('checkpoints once the last checkpoint is older than checkpoint_timeout and WAL was written since, and not otherwise', async () => {
    await database.transaction((tx) => tx.execute(sql`update maintenance_probe set v = v + 1 where id <= 10`));
    // Written, but the last checkpoint is younger than the database's checkpoint_timeout (300 s):
    // first a checkpoint, so that this holds whenever the template was made.
    await database.transaction((tx) => tx.execute(sql`checkpoint`));
    await database.transaction((tx) => tx.execute(sql`update maintenance_probe set v = v + 1 where id <= 10`));
    const young = await lastCheckpoint();
    expect((await maintainEmbedded(database))!.checkpointed).toBe(false);
    expect(await lastCheckpoint()).toBe(young);
    // Past the timeout (0 s here), with WAL written since: a checkpoint, whose redo point is now.
    const pass = await maintainEmbedded(database, { checkpointTimeoutSeconds: 0 });
    expect(pass!.checkpointed).toBe(true);
    const made = await lastCheckpoint();
    expect(made).not.toBe(young);
    // Nothing written since: none, however old the last one is.
    expect((await maintainEmbedded(database, { checkpointTimeoutSeconds: 0 }))!.checkpointed).toBe(false);
    expect(await lastCheckpoint()).toBe(made);
  });

  it.runIf(backend === 'pglite')('waits for an open transaction instead of running inside it', async () => {
    await updateAll();
    await updateAll();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const transaction = database.transaction(async (tx) => {
      await tx.execute(sql`update maintenance_probe set v = v + 1 where id <= 1000`);
      await held;
      order.push('transaction committed');
    });
    const pass = maintainEmbedded(database).then((result) => {
      order.push('maintenance done');
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await transaction;
    // VACUUM inside a transaction block would have thrown.
    expect((await pass)!.vacuumed).toContain('public.maintenance_probe');
    expect(order).toEqual(['transaction committed', 'maintenance done']);
  });

  it.runIf(backend === 'pglite')('runs on its interval and stops cleanly', async () => {
    for (let i = 0; i < 3; i += 1) await updateAll();
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const loop = startEmbeddedMaintenance(database, log, 20);
    for (let waited = 0; waited < 10_000 && !lines.some((line) => line.includes('maintenance_probe')); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    await loop.stop();
    expect(JSON.parse(lines.find((line) => line.includes('maintenance_probe'))!)).toMatchObject({ msg: 'embedded database maintained', vacuumed: expect.arrayContaining(['public.maintenance_probe']) });
    const after = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines.length).toBe(after);
  });
});
