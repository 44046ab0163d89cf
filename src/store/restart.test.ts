// Proves that a restart keeps every row: the embedded database is closed and reopened on the same
// data directory (on PostgreSQL, the pool is closed and a new one opened on the same database).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../app/clock.js';
import { createTestClock } from '../app/test-clocks.js';
import { backend } from '../../test/support/db.js';
import { DataDirectoryInUse } from './data-dir-lock.js';
import { openDatabase } from './db.js';
import { testClocks } from './schema.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.runIf(backend === 'pglite')('restart on the same data directory', () => {
  it('finds the data written before the restart, and migrations re-run cleanly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'affable-restart-'));
    dirs.push(dir);
    const clock = new FixedClock(new Date('2027-01-01T00:00:00Z'));
    const first = await openDatabase({ dataDir: dir });
    await first.migrate();
    const created = await first.transaction((tx) => createTestClock(tx, clock, new Date('2027-03-01T00:00:00Z')));
    // While it is open, nobody else opens the directory (two PGlites on the same files overwrite
    // each other's writes): refused before PGlite starts, and the first keeps working.
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(DataDirectoryInUse);
    expect(await first.transaction((tx) => tx.select().from(testClocks))).toHaveLength(1);
    await first.close();

    const second = await openDatabase({ dataDir: dir });
    await second.migrate();
    const rows = await second.transaction((tx) => tx.select().from(testClocks));
    await second.close();
    expect(rows.map((r) => r.id)).toEqual([created.id]);
    expect(rows[0]!.frozenTime.toISOString()).toBe('2027-03-01T00:00:00.000Z');
  }, 120_000);
});
