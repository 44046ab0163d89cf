// Proves, on the backend this run targets, that the migration adding link_click_counts (drizzle/0003)
// counts the clicks recorded before it, and that the clicks inserted after it keep the counts equal
// to a count of the clicks.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { backend } from '../../test/support/db.js';
import { databaseUrlWithName } from '../../test/support/global-setup.js';
import { migrationsFolder, openDatabase, type Database } from './db.js';
import { clicks } from './schema.js';

const MIGRATION = '0003_dashboard_reads';
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The migrations folder as it was before MIGRATION: its journal cut just before that entry. */
function foldersBefore(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'affable-migrations-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return dir;
}

/** A new, empty database on this run's backend. */
async function emptyDatabase(): Promise<Database> {
  const url = process.env['DATABASE_URL'];
  if (!url) return openDatabase({});
  const name = `affable_m_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  cleanups.push(async () => {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  return openDatabase({ databaseUrl: databaseUrlWithName(url, name), poolSize: 2 });
}

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;
const at = new Date('2027-03-01T12:00:00Z');
const click = (id: string, linkId: string, affiliateId: string, isBot = false) => ({
  id, linkId, programId: 'prog_m', affiliateId, clickedAt: at, recordedAt: at, isBot, credited: !isBot,
});

async function counts(database: Database) {
  return database.transaction(async (tx) => ({
    projected: rowsOf(await tx.execute(sql`select link_id, clicks::int as n from link_click_counts order by 1`)),
    counted: rowsOf(await tx.execute(sql`select link_id, count(*)::int as n from clicks where not is_bot group by 1 order by 1`)),
  }));
}

describe(`link_click_counts migration on ${backend}`, () => {
  it('counts the clicks recorded before it, then every click inserted after it', async () => {
    const database = await emptyDatabase();
    cleanups.push(() => database.close());
    const before = foldersBefore(MIGRATION);
    if (database.kind === 'pglite') await migratePglite(database.db as never, { migrationsFolder: before });
    else await migratePg(database.db as never, { migrationsFolder: before });
    await database.transaction((tx) =>
      tx.insert(clicks).values([click('clk_1', 'lnk_a', 'aff_a'), click('clk_2', 'lnk_a', 'aff_a'), click('clk_3', 'lnk_a', 'aff_a', true), click('clk_4', 'lnk_b', 'aff_b')]),
    );

    await database.migrate();
    expect(await counts(database)).toEqual({
      projected: [{ link_id: 'lnk_a', n: 2 }, { link_id: 'lnk_b', n: 1 }],
      counted: [{ link_id: 'lnk_a', n: 2 }, { link_id: 'lnk_b', n: 1 }],
    });

    await database.transaction((tx) => tx.insert(clicks).values([click('clk_5', 'lnk_a', 'aff_a'), click('clk_6', 'lnk_c', 'aff_a'), click('clk_7', 'lnk_c', 'aff_a', true)]));
    const after = await counts(database);
    expect(after.projected).toEqual([{ link_id: 'lnk_a', n: 3 }, { link_id: 'lnk_b', n: 1 }, { link_id: 'lnk_c', n: 1 }]);
    expect(after.projected).toEqual(after.counted);
  });
});
