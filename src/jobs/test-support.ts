// Reads pg-boss's job table for the job tests (not a test itself).
import { sql } from 'drizzle-orm';
import type { Database } from '../store/db.js';

export interface JobRow {
  id: string;
  state: string;
  singleton_key: string | null;
}

/** The jobs of a queue still in pg-boss's job table (not yet archived), oldest first. */
export async function jobRows(database: Database, queue: string): Promise<JobRow[]> {
  const result = await database.transaction((tx) =>
    tx.execute(sql`select id::text as id, state::text as state, singleton_key from pgboss.job where name = ${queue} order by created_on, id`),
  );
  return (result as unknown as { rows: JobRow[] }).rows;
}
