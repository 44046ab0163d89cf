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
import type { Logger } from 'pino';
import type { AppContext } from '../../src/app/context.js';
import { MailDelivery, type MailTransport } from '../../src/app/mail.js';
import { PayPalClient } from '../../src/integrations/paypal/client.js';
import { payoutSendDeps } from '../../src/app/payout-send.js';
import { startJobs, type Jobs } from '../../src/jobs/jobs.js';
import type { JobTiming } from '../../src/jobs/boss.js';

export interface TestApp {
  app: App;
  database: Database;
  /** What the routes were given (PayPal client, mail delivery …). */
  context: AppContext;
  /** pg-boss and its jobs, when started with `jobs: true`. */
  jobs?: Jobs;
  clock: FixedClock;
  apiKey: string;
  /** A request with the admin API key; `body` is sent as JSON. */
  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const TEST_PUBLIC_URL = 'http://affable.test';
export const TEST_STRIPE_SECRET = 'whsec_test_affable';

export interface TestAppOptions {
  now?: string;
  database?: Database;
  /** PayPal Payouts (e.g. the fake of paypal-fake-server.ts, or a client wrapping it). Default: not configured. */
  paypal?: PayPalClient | { baseUrl: string; clientId: string; clientSecret: string };
  /** Delivers the mail outbox after commit; default: none (mail stays for the dev mailbox). */
  mailTransport?: MailTransport;
  /** The logger of the app and its requests (tests that read log lines pass their own). */
  log?: Logger;
  /** The base of every link the API returns (browser tests pass their real address). */
  publicUrl?: string;
  /** Where the built web UI lives (default dist/web). */
  webRoot?: string;
  /** Start pg-boss with the payouts poller and mail delivery (polling fast: TEST_JOB_TIMING). Default: no jobs. */
  jobs?: boolean;
}

/** Job timing for tests: the shortest intervals pg-boss accepts, so a schedule fires within seconds. */
export const TEST_JOB_TIMING: JobTiming = { pollingIntervalSeconds: 0.5, cronMonitorIntervalSeconds: 1, cronWorkerIntervalSeconds: 1, stopTimeoutSeconds: 5 };

export async function makeTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await openTestDatabase());
  const clock = new FixedClock(new Date(options.now ?? '2027-01-01T00:00:00Z'));
  const log = options.log ?? pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
  const paypal =
    options.paypal instanceof PayPalClient || options.paypal === undefined
      ? options.paypal
      : new PayPalClient({ ...options.paypal, now: () => clock.now(), timeoutMs: 2_000 });
  const key = await database.transaction((tx) => createApiKey(tx, clock, { name: 'test' }));
  const context = createContext({
    database,
    clock,
    publicUrl: options.publicUrl ?? TEST_PUBLIC_URL,
    reservedWords: DEFAULT_RESERVED_WORDS,
    log,
    secretKey: Buffer.alloc(32, 7).toString('base64'),
    stripeWebhookSecret: TEST_STRIPE_SECRET,
    paypal,
    paypalRetryDelayMs: 5,
    mail: options.mailTransport ? new MailDelivery(database, options.mailTransport, clock, 'Affable <no-reply@affable.test>', log) : undefined,
  });
  const app = await buildServer({
    context,
    logger: log,
    webRoot: options.webRoot,
  });
  await app.ready();
  const jobs = options.jobs
    ? await startJobs({ database, payouts: payoutSendDeps(context), clock: context.clock, mail: context.mail, log, timing: TEST_JOB_TIMING })
    : undefined;
  return {
    app,
    context,
    ...(jobs ? { jobs } : {}),
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
      await jobs?.stop();
      await context.mail?.idle();
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
