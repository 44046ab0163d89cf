// A fresh, migrated database for one test, on the backend this run targets.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/store/db.js';
import { databaseUrlWithName } from './global-setup.js';

let templateBlob: Blob | undefined;

export const backend: 'pglite' | 'postgres' = process.env['DATABASE_URL'] ? 'postgres' : 'pglite';

/** A test database; on PostgreSQL, `url` connects to it (for a second client of the test's own). */
export type TestDatabase = Database & { readonly url?: string };

/** Opens a new database cloned from the run's migrated template. Close it when done. */
export async function openTestDatabase(): Promise<TestDatabase> {
  const url = process.env['DATABASE_URL'];
  if (url) {
    const template = inject('postgresTemplate');
    const name = `affable_t_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create database ${name} template ${template}`);
    } finally {
      await admin.end();
    }
    const databaseUrl = databaseUrlWithName(url, name);
    const database = await openDatabase({ databaseUrl, poolSize: 5 });
    const close = database.close.bind(database);
    return Object.assign(database, {
      url: databaseUrl,
      close: async () => {
        await close();
        const dropper = new pg.Client({ connectionString: url });
        await dropper.connect();
        await dropper.query(`drop database if exists ${name} with (force)`);
        await dropper.end();
      },
    });
  }
  if (!templateBlob) templateBlob = new Blob([await readFile(inject('pgliteTemplatePath'))]);
  return openDatabase({ loadDataDir: templateBlob });
}

/** Runs `work` on a new test database (openTestDatabase) and closes it after, whatever happens. */
export async function withTestDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openTestDatabase();
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}
