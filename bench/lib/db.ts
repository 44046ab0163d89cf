// Opens the database a bench server used, from the bench process: PostgreSQL at any time, the
// embedded one only after its server has stopped (PGlite is one process's files).
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/store/db.js';

export interface Target {
  backend: 'pglite' | 'postgres';
  /** The server's AFFABLE_DATA_DIR (the embedded database lives in its `pg` folder). */
  dataDir: string;
  databaseUrl?: string | undefined;
}

export async function openTarget(target: Target): Promise<Database> {
  return openDatabase(target.databaseUrl ? { databaseUrl: target.databaseUrl, poolSize: 4 } : { dataDir: join(target.dataDir, 'pg') });
}

/** Runs plain SQL and returns its rows (both drivers answer `{ rows }`). */
export async function rowsOf<T = Record<string, unknown>>(database: Database, text: string, params: unknown[] = []): Promise<T[]> {
  if (database.pool) return (await database.pool.query(text, params)).rows as T[];
  return (await database.pglite!.query(text, params)).rows as T[];
}

export async function countOf(database: Database, text: string, params: unknown[] = []): Promise<number> {
  const rows = await rowsOf<{ n: string | number }>(database, text, params);
  return Number(rows[0]?.n ?? 0);
}
