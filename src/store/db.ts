// One interface over two drivers: PGlite (embedded, file-backed) and PostgreSQL (node-postgres).
// Both speak the same SQL, run the same drizzle-kit migrations and share every query.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite, types, type ParserOptions, type QueryOptions, type Transaction } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { is, SQL, sql, type ExtractTablesWithRelations } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import pg from 'pg';
import { lockDataDirectory } from './data-dir-lock.js';
import { PipelinedClient } from './pipelined-client.js';
import { DURABLE_START_PARAMS, FsyncingNodeFS } from './pglite-fsync.js';

/**
 * A drizzle handle on either driver. Use cases receive a `Tx` and never care which. drizzle is
 * given no schema: its relational queries (`db.query.…`), which nothing here uses, would build a
 * query builder per table for every transaction (1.3% of the server's samples under events).
 */
type NoSchema = Record<string, never>;
export type Db = PgDatabase<PgQueryResultHKT, NoSchema>;
export type Tx = PgTransaction<PgQueryResultHKT, NoSchema, ExtractTablesWithRelations<NoSchema>>;

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /**
   * Runs `work` in one transaction. On PGlite every statement inside must go through `tx`:
   * a bare query on the client while a transaction callback is open deadlocks it.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Plain SQL outside any transaction (health checks, maintenance). */
  ping(): Promise<void>;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * PGlite only: the underlying client (tests dump and load data directories through it). It reads
   * dates, timestamps and intervals as text, as drizzle's PGlite driver does (readTextTypesAsText).
   */
  readonly pglite?: PGlite;
  /** PGlite only: the parsers PGlite reads those types with by default (Date objects), for a caller that wants them (pg-boss). */
  readonly pgliteBuiltInParsers?: ParserOptions;
  /** PostgreSQL only: the connection pool (pg-boss shares it). */
  readonly pool?: pg.Pool;
}

/** A PGlite database's one session: the statements prepared on it (PREPARE outlives a rollback). */
interface PgliteSession {
  prepared: Set<string>;
}

/** Transactions that run alone (PGlite's, serialised above), with their database's session. */
const pgliteTransactions = new WeakMap<Tx, PgliteSession>();

/** True when no other transaction can run while `tx` is open, so advisory locks may be skipped. */
export function runsAlone(tx: Tx): boolean {
  return pgliteTransactions.has(tx);
}

/**
 * The name a statement is prepared under: one per SQL text (node-postgres refuses a name reused
 * for another text), so a statement whose text varies only in its parameters is parsed once per
 * connection, and planned once PostgreSQL settles on a generic plan. Only for statements with a
 * few texts: each text stays prepared on every connection it ran on.
 */
export function statementName(text: string): string {
  return `q_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`; // an SQL identifier too (PGlite's PREPARE)
}

/** The parts of a drizzle transaction that executePrepared and executeLast use: internal, but stable in 0.45. */
interface TxInternals {
  dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } };
  session: {
    /** node-postgres: the checked-out client; PGlite: its own. */
    client?: unknown;
    prepareQuery(query: { sql: string; params: unknown[] }, fields: unknown, name: string | undefined, arrayMode: boolean): { execute(): Promise<unknown> };
  };
  /** 0 for the transaction itself, more for a savepoint inside it. */
  nestedIndex: number;
}

export const internalsOf = (tx: Tx) => tx as unknown as TxInternals;

/** A statement's text with its parameter values, and the name it is prepared under (statementName of the text), or null to run it unprepared. */
export interface NamedQuery {
  sql: string;
  params: unknown[];
  name: string | null;
}

/**
 * `tx.execute(query)` as a named prepared statement (statementName): an event's facts query took
 * PostgreSQL longer to plan (1.1 ms) than to run, and PGlite too. On PostgreSQL the driver
 * prepares it once per connection. PGlite's driver has no named statements, so there it is
 * PREPAREd once per database and run with EXECUTE, its values written as SQL literals
 * (`sqlLiteral`). Both answer `{ rows }` as `tx.execute` does.
 */
export function executePrepared(tx: Tx, query: SQL): Promise<{ rows: unknown[] }> {
  const built = internalsOf(tx).dialect.sqlToQuery(query);
  return executePreparedQuery(tx, { sql: built.sql, params: built.params, name: statementName(built.sql) });
}

/**
 * executePrepared of a statement already built (src/store/shapes.ts builds each shape's text once).
 * On PostgreSQL the statement is handed to the driver before this returns (sendTogether relies on it).
 */
export function executePreparedQuery(tx: Tx, query: NamedQuery): Promise<{ rows: unknown[] }> {
  // drizzle's own `execute`, with a name.
  if (!runsAlone(tx) || query.name === null) return internalsOf(tx).session.prepareQuery(query, undefined, query.name ?? undefined, false).execute() as Promise<{ rows: unknown[] }>;
  return pgliteExecute(tx, query.name, query);
}

/**
 * Runs the EXECUTE on PGlite's transaction itself, not through drizzle: these statements answer
 * JSON documents or nothing, so drizzle's row mapping has nothing to do. (drizzle used to hand
 * PGlite its type parsers with every query, which doubled PGlite's cost of a query; it no longer
 * reaches PGlite: withoutDrizzleParsers.)
 */
async function pgliteExecute(tx: Tx, name: string, query: NamedQuery): Promise<{ rows: unknown[] }> {
  const text = await pgliteExecuteText(tx, name, query);
  const client = internalsOf(tx).session.client as { query(text: string): Promise<{ rows: unknown[] }> };
  try {
    return { rows: (await client.query(text)).rows };
  } catch (error) {
    // The shape tx.execute throws (callers read the PostgreSQL code from its cause).
    throw new DrizzleQueryError(text, [], error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * On PGlite: PREPAREs `query` as `name` once per database and answers the EXECUTE that runs it
 * with `query`'s values (PGlite's driver has no named statements).
 */
export async function pgliteExecuteText(tx: Tx, name: string, query: { sql: string; params: unknown[] }): Promise<string> {
  const pglite = pgliteTransactions.get(tx);
  if (!pglite) throw new Error('pgliteExecuteText: not a PGlite transaction');
  if (!pglite.prepared.has(name)) {
    await tx.execute(sql.raw(`prepare ${name} as ${query.sql}`));
    pglite.prepared.add(name);
  }
  const args = query.params.length === 0 ? '' : `(${query.params.map(sqlLiteral).join(', ')})`;
  return `execute ${name}${args}`;
}

/**
 * Runs `send`, which hands statements of `tx` to its connection without waiting for them (it
 * answers their promises), so that on PostgreSQL they leave in one socket write and run one after
 * the other in the order handed over. Answers what `send` answered and how many statements it
 * handed over before returning: a statement that a driver only sent after an await is not counted
 * (the caller must then not rely on the order). On PGlite it only runs `send` (and counts none).
 */
export function sendTogether<T>(tx: Tx, send: () => T): { sent: T; handedOver: number } {
  const client = internalsOf(tx).session.client;
  if (!(client instanceof PipelinedClient) || internalsOf(tx).nestedIndex !== 0) return { sent: send(), handedOver: 0 };
  return client.together(send);
}

/**
 * Runs `query` as the last statement of the transaction `tx`, and ends it: on PostgreSQL the
 * statement and COMMIT leave in one write (PipelinedClient.queryThenCommit), so the transaction
 * commits before this returns and the caller must run nothing after it in `tx` (the client refuses
 * a statement after it). A failed statement or COMMIT throws what tx.execute would (a
 * DrizzleQueryError whose cause is the driver's error), and nothing was committed. On PGlite
 * it only runs the statement (executePreparedQuery), and the transaction commits when its
 * callback returns. Answers the statement's rows, as the driver parsed them (not drizzle-mapped).
 */
export async function executeLast(tx: Tx, query: SQL | NamedQuery): Promise<{ rows: unknown[] }> {
  const internals = internalsOf(tx);
  const client = internals.session.client;
  const built: NamedQuery = is(query, SQL) ? { ...internals.dialect.sqlToQuery(query), name: null } : query;
  // A nested transaction (a savepoint) does not end the one around it: its statement runs plainly.
  if (!(client instanceof PipelinedClient) || internals.nestedIndex !== 0) return executePreparedQuery(tx, built);
  try {
    return { rows: (await client.queryThenCommit({ text: built.sql, values: built.params, ...(built.name ? { name: built.name } : {}) })).rows };
  } catch (error) {
    // The shape tx.execute throws (callers read the PostgreSQL code from its cause).
    throw new DrizzleQueryError(built.sql, built.params, error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * A parameter value as an SQL literal for EXECUTE (PGlite): an escape string with backslashes and
 * quotes doubled (PostgreSQL, "String Constants with C-Style Escapes"), so any text reads back as
 * itself whatever standard_conforming_strings says. Only the kinds the prepared queries pass.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  if (value instanceof Date) return sqlLiteral(value.toISOString());
  if (Array.isArray(value)) return value.length === 0 ? "'{}'" : `ARRAY[${value.map(sqlLiteral).join(', ')}]`;
  throw new TypeError(`sqlLiteral: no literal for a ${typeof value}`);
}

export interface OpenOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined; // PGlite: a directory; undefined = in memory
  loadDataDir?: Blob | undefined; // PGlite: start from a dumped data directory (tests)
  poolSize?: number | undefined;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  return openPglite(options.dataDir, options.loadDataDir);
}

// PostgreSQL returns bigint (int8) as a string by default; our bigint columns are money in
// minor units, always far inside Number.MAX_SAFE_INTEGER, and drizzle maps them with mode 'number'.
async function openPostgres(url: string, poolSize: number): Promise<Database> {
  // PipelinedClient: a transaction's BEGIN leaves with its first statement, and executeLast's
  // statement with its COMMIT (two round trips fewer for an event).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, Client: PipelinedClient });
  // An idle connection the server ends (a restart, a dropped test database) emits 'error' on the
  // pool; without a listener that would crash the process. The pool discards it and the next
  // query opens a new connection, or fails loudly if the server is really gone.
  pool.on('error', () => undefined);
  pool.on('release', (_error, client) => (client as unknown as PipelinedClient).checkedIn());
  const db = drizzlePg(pool) as unknown as Db;
  await pool.query('select 1');
  return {
    kind: 'postgres',
    db,
    pool,
    transaction: (work) => db.transaction(work),
    ping: async () => {
      await pool.query('select 1');
    },
    migrate: () => migratePg(db as never, { migrationsFolder }),
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // One process at a time on a data directory: PGlite does not check (src/store/data-dir-lock.ts).
  const lock = dataDir ? lockDataDirectory(dataDir) : null;
  let client: PGlite;
  try {
    client = await PGlite.create({
      // On disk, commits are fsynced before they are acknowledged (src/store/pglite-fsync.ts).
      ...(dataDir ? { fs: new FsyncingNodeFS(dataDir), startParams: [...DURABLE_START_PARAMS] } : {}),
      ...(loadDataDir ? { loadDataDir } : {}),
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const builtInParsers = readTextTypesAsText(client);
  const db = drizzlePglite(withoutDrizzleParsers(client)) as unknown as Db;
  // PGlite is single-connection: serialise transactions so that a second one never interleaves
  // its statements into an open one (PGlite would otherwise run them inside it).
  let tail: Promise<unknown> = Promise.resolve();
  const session: PgliteSession = { prepared: new Set() };
  const transaction = <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    const run = tail.then(() =>
      db.transaction((tx) => {
        pgliteTransactions.set(tx, session);
        return work(tx);
      }),
    );
    tail = run.catch(() => undefined);
    return run;
  };
  return {
    kind: 'pglite',
    db,
    pglite: client,
    pgliteBuiltInParsers: builtInParsers,
    transaction,
    ping: async () => {
      await client.query('select 1');
    },
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    close: async () => {
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * The types drizzle's PGlite driver reads as text and maps itself: timestamp, timestamptz,
 * interval, date, and numeric[], timestamp[], timestamptz[], interval[], date[] (drizzle-orm
 * 0.45, pglite/session.js). It hands PGlite parsers for them with every query, and a query given
 * parsers costs PGlite about twice as much: it merges them into its own 318 each time (`select 1`
 * 85–105 µs without, 197–201 µs with, measured in isolation on one machine).
 */
const DRIZZLE_TEXT_TYPES: readonly number[] = [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182];

/**
 * Makes `client` read DRIZZLE_TEXT_TYPES as text by default, as drizzle's parsers would, and
 * answers the parsers it read them with before (Date objects for dates and timestamps; an array's
 * parser looks its elements' parser up when it runs, so arrays of them now hold text either way).
 */
function readTextTypesAsText(client: PGlite): ParserOptions {
  const builtIn: ParserOptions = {};
  for (const oid of DRIZZLE_TEXT_TYPES) {
    const parser = client.parsers[oid];
    if (parser) builtIn[oid] = parser;
    client.parsers[oid] = (value: string) => value;
  }
  return builtIn;
}

/** True when `parsers` is drizzle's set: text for exactly DRIZZLE_TEXT_TYPES. */
function isDrizzleParsers(parsers: ParserOptions): boolean {
  const keys = Object.keys(parsers);
  return keys.length === DRIZZLE_TEXT_TYPES.length && DRIZZLE_TEXT_TYPES.every((oid) => parsers[oid]?.('x') === 'x');
}

/** `options` without drizzle's parsers, which the client (readTextTypesAsText) already applies. */
function leanOptions(options: QueryOptions | undefined): QueryOptions | undefined {
  if (!options?.parsers || !isDrizzleParsers(options.parsers)) return options;
  const { parsers: _dropped, ...rest } = options;
  return rest;
}

/**
 * The EXECUTE of a statement prepared by name (pgliteExecuteText), with its values as literals.
 * Nothing but one such statement matches: a name is `q_` and 24 hex digits (statementName), and
 * every value is a literal of sqlLiteral's.
 */
const EXECUTE_PREPARED = /^execute q_[0-9a-f]{24}(\(.*\))?$/s;

/**
 * `client` as drizzle sees it (and pgliteExecute, through drizzle's transaction):
 * - its queries, and those of its transactions, go without drizzle's parsers (the rows are the
 *   same: the client reads those types as text already);
 * - an EXECUTE of a prepared statement, which has no parameters of its own, goes through the
 *   simple protocol: one call into PGlite instead of the extended protocol's several (75–80 µs
 *   against 121–125 µs for one that answers a JSON document, on one machine). The rows are
 *   parsed alike; its literals are sqlLiteral's (db.test.ts checks that no text escapes them).
 * Anything else is the client's own.
 */
function withoutDrizzleParsers(client: PGlite): PGlite {
  const leanQuery =
    <T extends Pick<PGlite, 'query' | 'exec'>>(target: T) =>
    async (text: string, params?: unknown[], options?: QueryOptions) => {
      const lean = leanOptions(options);
      if ((params === undefined || params.length === 0) && EXECUTE_PREPARED.test(text)) {
        const [result, ...more] = await target.exec(text, lean);
        if (!result || more.length > 0) throw new Error(`PGlite: ${text.slice(0, 40)}… answered ${more.length + (result ? 1 : 0)} results`);
        return result;
      }
      return target.query(text, params, lean);
    };
  const leanTransaction = (tx: Transaction): Transaction =>
    new Proxy(tx, { get: (target, property) => (property === 'query' ? leanQuery(target) : Reflect.get(target, property, target)) });
  return new Proxy(client, {
    get(target, property) {
      if (property === 'query') return leanQuery(target);
      if (property === 'transaction') return <T>(work: (tx: Transaction) => Promise<T>) => target.transaction((tx) => work(leanTransaction(tx)));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
