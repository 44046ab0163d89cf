// Fresh PostgreSQL databases for a bench run: created on the server named by BENCH_DATABASE_URL
// (default: trust auth on 127.0.0.1:5432) and dropped afterwards.
import pg from 'pg';

export const POSTGRES_SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface FreshDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

let counter = 0;

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_SERVER_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function createFreshDatabase(label: string): Promise<FreshDatabase> {
  counter += 1;
  const name = `affable_bench_${label}_${process.pid}_${counter}`;
  const admin = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabaseName(POSTGRES_SERVER_URL, name),
    name,
    async drop() {
      const dropper = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
      await dropper.connect();
      try {
        await dropper.query(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
