// Databases migrated up to just before one migration, for tests that prove what that migration does
// to the rows already there (a projection's backfill, say) and to the rows written after it.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { sql, type SQL } from 'drizzle-orm';
import { migrationsFolder, openDatabase, type Database } from '../../src/store/db.js';
import { databaseUrlWithName } from './global-setup.js';

export type Cleanups = Array<() => Promise<void> | void>;

/** The migrations folder as it was before `tag` (or, `through`, with it): its journal cut there. */
function folderBefore(tag: string, cleanups: Cleanups, through = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'affable-migrations-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  if (at <= 0) throw new Error(`no migration ${tag} after the first in ${journalPath}`);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, through ? at + 1 : at) }));
  return dir;
}

async function migrateWith(database: Database, folder: string): Promise<void> {
  if (database.kind === 'pglite') await migratePglite(database.db as never, { migrationsFolder: folder });
  else await migratePg(database.db as never, { migrationsFolder: folder });
}

/** A new, empty database on this run's backend (PostgreSQL with DATABASE_URL, else in-memory PGlite). */
async function emptyDatabase(cleanups: Cleanups): Promise<Database> {
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

/**
 * A new database on this run's backend, migrated up to just before `tag`; `database.migrate()`
 * then runs `tag` and the rest. `cleanups` gets what closes and removes it.
 */
export async function databaseBefore(tag: string, cleanups: Cleanups): Promise<Database> {
  const database = await emptyDatabase(cleanups);
  cleanups.push(() => database.close());
  await migrateWith(database, folderBefore(tag, cleanups));
  return database;
}

/** Runs the migrations not yet run on `database` up to and including `tag`, and none after it. */
export async function migrateThrough(database: Database, tag: string, cleanups: Cleanups): Promise<void> {
  await migrateWith(database, folderBefore(tag, cleanups, true));
}

/** A ledger entry as the table held it before drizzle/0011 (no due_at). */
export interface EntryBefore0011 {
  id: string;
  programId: string;
  commissionId: string;
  affiliateId: string;
  type: string;
  amount: number;
  at: Date;
  reason: string;
  ref: string | null;
  createdAt: Date;
}

/** Inserts entries into a database migrated to before drizzle/0011, in plain SQL: the schema's insert names every column of today's table. */
export function insertEntriesBefore0011(rows: readonly EntryBefore0011[]): SQL {
  const values = rows.map(
    (e) =>
      sql`(${e.id}, ${e.programId}, ${e.commissionId}, ${e.affiliateId}, ${e.type}, ${e.amount}, ${e.at.toISOString()}::timestamptz, ${e.reason}, ${e.ref}, ${e.createdAt.toISOString()}::timestamptz)`,
  );
  return sql`insert into ledger_entries (id, program_id, commission_id, affiliate_id, type, amount, at, reason, ref, created_at) values ${sql.join(values, sql`, `)}`;
}
