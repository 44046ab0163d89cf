// Bulk inserts for generated data through the app's own bulk insert (src/store/bulk.ts: one
// INSERT … SELECT FROM unnest(<one array per column>) per chunk), so generated rows are the same
// objects the app writes and go in at COPY-like speed through either driver.
import type { Table } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../../src/store/db.js';
import { insertRows } from '../../src/store/bulk.js';

/**
 * Inserts `rows` (the table's insert shape; a column left out goes in as null, not its default)
 * in chunks of a transaction each; returns the number inserted.
 */
export async function bulkInsert<T extends Table>(database: Database, table: T, rows: ReadonlyArray<T['$inferInsert']>, chunkSize = 20_000): Promise<number> {
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize);
    await database.transaction((tx) => insertRows(tx, table as unknown as PgTable, chunk as never));
  }
  return rows.length;
}

/** Plain SQL without results (maintenance: ANALYZE, generated inserts). */
export async function exec(database: Database, text: string, params: unknown[] = []): Promise<void> {
  if (database.pool) await database.pool.query(text, params);
  else await database.pglite!.query(text, params);
}
