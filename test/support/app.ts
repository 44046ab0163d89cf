// An in-process Affable for HTTP tests (Hono style: no socket; requests go through app.inject).
import pino from 'pino';
import type { LightMyRequestResponse } from 'fastify';
import { FixedClock } from '../../src/app/clock.js';
import { createApiKey } from '../../src/app/api-keys.js';
import { buildServer, type App } from '../../src/http/server.js';
import { createContext } from '../../src/app/context.js';
import type { Database } from '../../src/store/db.js';
import { DEFAULT_RESERVED_WORDS } from '../../src/domain/index.js';
import { openTestDatabase } from './db.js';

export interface TestApp {
  app: App;
  database: Database;
  clock: FixedClock;
  apiKey: string;
  /** A request with the admin API key; `body` is sent as JSON. */
  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const TEST_PUBLIC_URL = 'http://affable.test';
export const TEST_STRIPE_SECRET = 'whsec_test_affable';

export async function makeTestApp(options: { now?: string; database?: Database } = {}): Promise<TestApp> {
  const database = options.database ?? (await openTestDatabase());
  const clock = new FixedClock(new Date(options.now ?? '2027-01-01T00:00:00Z'));
  const log = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
  const key = await database.transaction((tx) => createApiKey(tx, clock, { name: 'test' }));
  const app = await buildServer({
    context: createContext({
      database,
      clock,
      publicUrl: TEST_PUBLIC_URL,
      reservedWords: DEFAULT_RESERVED_WORDS,
      log,
      secretKey: Buffer.alloc(32, 7).toString('base64'),
      stripeWebhookSecret: TEST_STRIPE_SECRET,
    }),
    logger: log,
  });
  await app.ready();
  return {
    app,
    database,
    clock,
    apiKey: key.secret,
    call: (method, url, body, headers = {}) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key.secret}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      }),
    close: async () => {
      await app.close();
      if (!options.database) await database.close();
    },
  };
}

/** Counts rows of a table: the "refusing wrote nothing" check. */
export async function countRows(database: Database, table: string): Promise<number> {
  return database.transaction(async (tx) => {
    const { sql } = await import('drizzle-orm');
    const result = await tx.execute(sql.raw(`select count(*)::int as n from ${table}`));
    const rows = (result as unknown as { rows: Array<{ n: number }> }).rows;
    return Number(rows[0]!.n);
  });
}
