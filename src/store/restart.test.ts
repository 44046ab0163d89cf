// Proves that a restart keeps every row: the embedded database is closed and reopened on the same
// data directory (on PostgreSQL, the pool is closed and a new one opened on the same database).
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FixedClock } from '../app/clock.js';
import { createTestClock } from '../app/test-clocks.js';
import { backend } from '../../test/support/db.js';
import { DataDirectoryInUse } from './data-dir-lock.js';
import { openDatabase } from './db.js';
import { testClocks } from './schema.js';

const dirs: string[] = [];
const original = fs.fdatasyncSync.bind(fs);
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.runIf(backend === 'pglite')('restart on the same data directory', () => {
  it('syncs commits to the disk, refuses a second opener, finds the data written before the restart, and re-runs migrations cleanly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'affable-restart-'));
    dirs.push(dir);
    const clock = new FixedClock(new Date('2027-01-01T00:00:00Z'));
    const first = await openDatabase({ dataDir: dir });
    await first.migrate();
    // A commit is on the disk before the transaction resolves (src/store/pglite-fsync.ts): its WAL
    // file was fdatasynced. PGlite's own defaults sync nothing.
    expect((await first.pglite!.query<{ fsync: string }>('show fsync')).rows[0]!.fsync).toBe('on');
    const synced: string[] = [];
    const spy = vi.spyOn(fs, 'fdatasyncSync').mockImplementation((fd: number) => {
      synced.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
      return original(fd);
    });
    let created: Awaited<ReturnType<typeof createTestClock>>;
    try {
      created = await first.transaction((tx) => createTestClock(tx, clock, new Date('2027-03-01T00:00:00Z')));
    } finally {
      spy.mockRestore();
    }
    expect(synced.filter((path) => path.includes(`${dir}/pg_wal/`))).not.toEqual([]);
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
