// Bulk inserts for writes of thousands of rows in one use case (a payout run's items and mails at
// 100k affiliates): one INSERT … SELECT FROM unnest(<one array per column>), so a statement has
// one bind parameter per column however many rows it carries. Drizzle's multi-row VALUES costs
// about 0.2 ms a row to build and bind and stops at PostgreSQL's 65,535 parameters.
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from './db.js';

/** Rows per statement: bounds the size of one statement's arrays, not a database limit. */
const ROWS_PER_STATEMENT = 10_000;

/** A value as the drivers take it inside an array parameter: instants as ISO text, jsonb as JSON text. */
function arrayElement(value: unknown, sqlType: string): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (sqlType === 'jsonb' || sqlType === 'json') return JSON.stringify(value);
  return value;
}

/**
 * Inserts complete rows (every column given, so no column default is skipped by a null) of `table`.
 * @example await insertRows(tx, payoutItems, items)
 */
export async function insertRows<T extends PgTable>(tx: Tx, table: T, rows: ReadonlyArray<T['$inferSelect']>): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ key, name: column.name, type: column.getSQLType() }));
  const names = sql.join(
    columns.map((column) => sql.identifier(column.name)),
    sql`, `,
  );
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT) as ReadonlyArray<Record<string, unknown>>;
    const arrays: SQL[] = columns.map((column) => sql`${sql.param(chunk.map((row) => arrayElement(row[column.key], column.type)))}::${sql.raw(column.type)}[]`);
    await tx.execute(sql`insert into ${table} (${names}) select * from unnest(${sql.join(arrays, sql`, `)})`);
  }
}
