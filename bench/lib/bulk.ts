// Bulk inserts for generated data: one INSERT … SELECT FROM unnest(<one array per column>) per
// chunk of rows, with the column names and types read from the Drizzle table, so generated rows
// are the same `$inferInsert` objects the app writes (COPY-like speed through either driver).
import { getTableColumns, getTableName, type Table } from 'drizzle-orm';
import type { Database } from '../../src/store/db.js';

function driverValue(value: unknown, sqlType: string): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (sqlType === 'jsonb') return JSON.stringify(value);
  return value;
}

/** Inserts `rows` (the table's insert shape) in chunks; returns the number inserted. */
export async function bulkInsert<T extends Table>(database: Database, table: T, rows: ReadonlyArray<T['$inferInsert']>, chunkSize = 20_000): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ key, name: column.name, type: column.getSQLType() }));
  const text = `insert into "${getTableName(table)}" (${columns.map((c) => `"${c.name}"`).join(', ')}) select * from unnest(${columns
    .map((c, index) => `$${index + 1}::${c.type}[]`)
    .join(', ')})`;
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize) as Array<Record<string, unknown>>;
    const params = columns.map((c) => chunk.map((row) => driverValue(row[c.key], c.type)));
    if (database.pool) await database.pool.query(text, params);
    else await database.pglite!.query(text, params);
  }
  return rows.length;
}

/** Plain SQL without results (maintenance: ANALYZE, generated inserts). */
export async function exec(database: Database, text: string, params: unknown[] = []): Promise<void> {
  if (database.pool) await database.pool.query(text, params);
  else await database.pglite!.query(text, params);
}
