// Keyset pagination: the rows after a cursor in a list ordered by (a, b) descending.
import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/**
 * `(first, second) < (cursor's first, cursor's second)`: the rows of a `first desc, second desc`
 * list that come after the cursor. Written as one row comparison, PostgreSQL bounds an index on
 * (…, first, second) with it and starts at the cursor; `first < x or (first = x and second < y)`,
 * which means the same, is only a filter, so page n read every row of the pages before it.
 * Each value is bound as its column's (a Date as a timestamptz).
 */
export function rowsBefore(first: AnyPgColumn, second: AnyPgColumn, cursor: readonly [unknown, unknown]): SQL {
  return sql`(${first}, ${second}) < (${sql.param(cursor[0], first)}, ${sql.param(cursor[1], second)})`;
}
