// pg-boss on either database. pg-boss keeps its queue in its own `pgboss` schema (created and
// migrated by pg-boss itself at start) and talks to the database only through `executeSql`, so we
// hand it our connection instead of letting it open its own:
//   - PostgreSQL: the application's pool.
//   - PGlite: the embedded client. Every call takes PGlite's transaction mutex, so a pg-boss
//     statement waits until an open transaction of ours has finished and never runs inside it.
//     Our transaction callbacks never call pg-boss (jobs are queued after commit), so the two
//     cannot wait on each other.
// pg-boss 10 needs no LISTEN/NOTIFY and no pg_stat views (workers poll); its maintenance and
// migrations take a transaction-scoped advisory lock, which PGlite (PostgreSQL 17/18 in WASM)
// supports. The only difference we handle is multi-statement SQL, see `pgliteRunner`.
import PgBoss from 'pg-boss';
import type pg from 'pg';
import type { ParserOptions, PGlite } from '@electric-sql/pglite';
import type { Logger } from 'pino';
import type { Database } from '../store/db.js';

/** How often pg-boss looks at its tables. The defaults suit production; tests shorten them. */
export interface JobTiming {
  /** How often an idle worker looks for a job (pg-boss `pollingIntervalSeconds`, at least 0.5). Default 2. */
  pollingIntervalSeconds?: number;
  /** How often schedules are checked (1–45). Default 30: a cron job starts up to that late. */
  cronMonitorIntervalSeconds?: number;
  /** How often a due cron job is moved to its queue (1–45). Default 5. */
  cronWorkerIntervalSeconds?: number;
  /** Seconds `stop()` lets running jobs finish before pg-boss marks them failed. Default 20. */
  stopTimeoutSeconds?: number;
}

type Rows = { rows: unknown[] };
type Runner = (text: string, values: unknown[] | undefined) => Promise<Rows>;

/** `executeSql` for pg-boss over our connection, plus a `close` that waits for statements in flight. */
export interface BossConnection extends PgBoss.Db {
  close(): Promise<void>;
}

export function bossConnection(database: Database): BossConnection {
  const run = database.kind === 'pglite' ? pgliteRunner(required(database.pglite, 'pglite'), required(database.pgliteBuiltInParsers, 'pgliteBuiltInParsers')) : postgresRunner(required(database.pool, 'pool'));
  const inFlight = new Set<Promise<Rows>>();
  let closed = false;
  return {
    executeSql: (text: string, values?: unknown[]) => {
      // pg-boss can issue a statement after stop(): a worker whose fetch was in flight completes
      // the job it got without awaiting. Closed, we answer with a promise that never settles
      // (nothing is run on a closing database, and no rejection goes unhandled inside pg-boss);
      // such a job stays 'active' until pg-boss expires it.
      if (closed) return new Promise<Rows>(() => undefined);
      const statement = run(text, values);
      inFlight.add(statement);
      const forget = () => inFlight.delete(statement);
      statement.then(forget, forget);
      return statement;
    },
    close: async () => {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`Database has no ${name}: cannot run pg-boss on it`);
  return value;
}

/**
 * With parameters: one statement through the extended protocol (`query`). Without: the text may
 * hold several statements (pg-boss wraps migrations and maintenance in `BEGIN; … COMMIT;`), which
 * only the simple protocol (`exec`) runs. It runs inside a PGlite transaction so that a statement
 * failing half-way is rolled back before anyone else gets the single connection; otherwise the
 * next transaction of ours would start inside pg-boss's aborted one. pg-boss's own COMMIT ends
 * that transaction early and PGlite's closing COMMIT is then a harmless no-op. pg-boss reads its
 * timestamps as Date objects (node-postgres's way), so it gets PGlite's built-in parsers back:
 * our client reads them as text (db.ts, readTextTypesAsText).
 */
function pgliteRunner(client: PGlite, parsers: ParserOptions): Runner {
  return async (text, values) => {
    if (values && values.length > 0) return { rows: (await client.query(text, values, { parsers })).rows };
    const results = await client.transaction((tx) => tx.exec(text, { parsers }));
    return { rows: results.at(-1)?.rows ?? [] };
  };
}

/**
 * The pool, as pg-boss's own driver uses it. A text without parameters goes through the simple
 * protocol, which runs several statements; if one fails, `pool.query` discards that connection
 * rather than returning it to the pool inside pg-boss's aborted transaction.
 */
function postgresRunner(pool: pg.Pool): Runner {
  return async (text, values) => ({ rows: (await pool.query(text, values)).rows });
}

export type JobHandler<T> = (data: T) => Promise<void>;

/** A started pg-boss with our conventions around it. */
export interface Boss {
  readonly boss: PgBoss;
  /**
   * Works a queue one job at a time. The handler is not called once stopping began, and `stop()`
   * waits for handlers in progress, so no use case runs against a closed database. An error is
   * logged and fails the job.
   */
  work<T extends object>(queue: string, handler: JobHandler<T>): Promise<string>;
  /** Runs before pg-boss stops (e.g. hand mail kicks back to the process). */
  onStop(hook: () => Promise<void> | void): void;
  /** Stops workers and schedules, waits for jobs in progress, and releases the connection. */
  stop(): Promise<void>;
}

export interface StartBossOptions {
  database: Database;
  log: Logger;
  timing?: JobTiming | undefined;
}

export async function startBoss(options: StartBossOptions): Promise<Boss> {
  const { database, log } = options;
  const timing = options.timing ?? {};
  const connection = bossConnection(database);
  const boss = new PgBoss({
    db: connection,
    pollingIntervalSeconds: timing.pollingIntervalSeconds ?? 2,
    cronMonitorIntervalSeconds: timing.cronMonitorIntervalSeconds ?? 30,
    cronWorkerIntervalSeconds: timing.cronWorkerIntervalSeconds ?? 5,
  });
  boss.on('error', (error) => log.error({ err: error }, 'pg-boss error'));
  await boss.start();

  let stopping = false;
  const running = new Set<Promise<void>>();
  const hooks: Array<() => Promise<void> | void> = [];

  return {
    boss,
    work: <T extends object>(queue: string, handler: JobHandler<T>) =>
      boss.work<T>(queue, { batchSize: 1 }, async (jobs) => {
        for (const job of jobs) {
          if (stopping) return;
          const pass = handler(job.data ?? ({} as T));
          running.add(pass);
          try {
            await pass;
          } catch (error) {
            log.error({ queue, jobId: job.id, data: job.data, err: error }, 'job failed');
            throw error;
          } finally {
            running.delete(pass);
          }
        }
      }),
    onStop: (hook) => {
      hooks.push(hook);
    },
    stop: async () => {
      if (stopping) return;
      stopping = true;
      for (const hook of hooks) await hook();
      await boss.stop({ graceful: true, wait: true, timeout: (timing.stopTimeoutSeconds ?? 20) * 1000 });
      await Promise.allSettled([...running]);
      await connection.close();
    },
  };
}
