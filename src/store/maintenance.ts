// Autovacuum and the checkpointer for the embedded database. PGlite runs PostgreSQL as one backend
// inside this process, with no background workers, so nothing vacuums or analyzes its tables: the
// rows that updates and deletes leave behind (events answered, subscriptions rebilled, link
// counters, pg-boss's job churn) are never reclaimed and the data directory only grows, and the
// planner never gets statistics. Every minute (autovacuum_naptime) this does what autovacuum would:
// it flushes the backend's table counters and vacuums and analyzes each table past autovacuum's own
// thresholds, read from the database's settings. One table at a time, each through PGlite's own
// mutex, so requests run between tables and a statement never lands inside an open transaction.
// Nor does anything start a timed checkpoint (checkpoint_timeout), so every WAL record written
// since the last checkpoint (up to max_wal_size, a gigabyte) is replayed when the process is next
// started after a crash, and the pages changed since then are only in memory. The same pass runs a
// CHECKPOINT when the last one is older than checkpoint_timeout and WAL has been written since, as
// PostgreSQL's checkpointer would.
// On PostgreSQL the server's autovacuum and checkpointer do this, and this module does nothing.
import type { Logger } from 'pino';
import type { Database } from './db.js';

/** What one pass did: the tables vacuumed and analyzed (schema-qualified), whether it checkpointed, and how long it took. */
export interface MaintenancePass {
  vacuumed: string[];
  analyzed: string[];
  checkpointed: boolean;
  ms: number;
}

export interface MaintenanceOptions {
  /** Seconds after the last checkpoint before the next; the database's checkpoint_timeout (300) if not given. */
  checkpointTimeoutSeconds?: number;
}

/**
 * WAL that a checkpoint with nothing to do writes after itself: its own record and the running
 * transactions record that follows it (about 200 bytes). More than this since the last checkpoint's
 * record means something else was written, and a checkpoint has work to do.
 */
const CHECKPOINT_OWN_WAL_BYTES = 1024;

interface TableCounters {
  name: string;
  live: number;
  dead: number;
  insertedSinceVacuum: number;
  modifiedSinceAnalyze: number;
}

interface Thresholds {
  vacuum: { base: number; scale: number };
  insert: { base: number; scale: number };
  analyze: { base: number; scale: number };
}

/**
 * One pass over the embedded database's tables: vacuum those whose dead rows (or rows inserted
 * since the last vacuum) pass autovacuum's threshold, analyze those whose changes since the last
 * analyze do; then checkpoint if the last checkpoint is older than checkpoint_timeout and WAL was
 * written since. Null on PostgreSQL, whose autovacuum and checkpointer do it.
 */
export async function maintainEmbedded(database: Database, options: MaintenanceOptions = {}): Promise<MaintenancePass | null> {
  const client = database.pglite;
  if (!client) return null;
  const started = performance.now();
  // The backend keeps its table counters until it flushes them, which an idle PGlite never does.
  await client.query('select pg_stat_force_next_flush()');
  const settings = new Map(
    (
      await client.query<{ name: string; setting: string }>(
        `select name, setting from pg_settings where name in (
          'autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor',
          'autovacuum_vacuum_insert_threshold', 'autovacuum_vacuum_insert_scale_factor',
          'autovacuum_analyze_threshold', 'autovacuum_analyze_scale_factor', 'checkpoint_timeout')`,
      )
    ).rows.map((row) => [row.name, Number(row.setting)]),
  );
  const setting = (name: string) => {
    const value = settings.get(name);
    if (value === undefined || !Number.isFinite(value)) throw new Error(`maintenance: no setting ${name}`);
    return value;
  };
  const thresholds: Thresholds = {
    vacuum: { base: setting('autovacuum_vacuum_threshold'), scale: setting('autovacuum_vacuum_scale_factor') },
    insert: { base: setting('autovacuum_vacuum_insert_threshold'), scale: setting('autovacuum_vacuum_insert_scale_factor') },
    analyze: { base: setting('autovacuum_analyze_threshold'), scale: setting('autovacuum_analyze_scale_factor') },
  };
  const tables = (
    await client.query<TableCounters>(
      `select format('%I.%I', schemaname, relname) as name, n_live_tup::float8 as live, n_dead_tup::float8 as dead,
          n_ins_since_vacuum::float8 as "insertedSinceVacuum", n_mod_since_analyze::float8 as "modifiedSinceAnalyze"
        from pg_stat_user_tables order by schemaname, relname`,
    )
  ).rows;
  const pass: MaintenancePass = { vacuumed: [], analyzed: [], checkpointed: false, ms: 0 };
  for (const table of tables) {
    const { vacuum, analyze } = due(table, thresholds);
    if (!vacuum && !analyze) continue;
    // `name` comes from format('%I.%I'): quoted identifiers, safe to splice.
    await client.exec(vacuum ? `vacuum ${analyze ? '(analyze) ' : ''}${table.name}` : `analyze ${table.name}`);
    if (vacuum) pass.vacuumed.push(table.name);
    if (analyze) pass.analyzed.push(table.name);
  }
  // The checkpointer's timed checkpoint (PostgreSQL, "WAL Configuration"): after the vacuums, so
  // that their pages are written by it too. CHECKPOINT in a backend without a checkpointer does
  // the work itself, so requests wait behind it as they do behind a vacuum.
  const last = (
    await client.query<{ age: number; written: number }>(
      `select extract(epoch from now() - checkpoint_time)::float8 as age,
          pg_wal_lsn_diff(pg_current_wal_insert_lsn(), checkpoint_lsn)::float8 as written
        from pg_control_checkpoint()`,
    )
  ).rows[0]!;
  if (last.age >= (options.checkpointTimeoutSeconds ?? setting('checkpoint_timeout')) && last.written > CHECKPOINT_OWN_WAL_BYTES) {
    await client.exec('checkpoint');
    pass.checkpointed = true;
  }
  pass.ms = performance.now() - started;
  return pass;
}

/** PostgreSQL's autovacuum rule ("The Autovacuum Daemon"): a threshold plus a fraction of the live rows. */
export function due(table: Omit<TableCounters, 'name'>, t: Thresholds): { vacuum: boolean; analyze: boolean } {
  const over = (count: number, rule: { base: number; scale: number }) => count > rule.base + rule.scale * table.live;
  return {
    vacuum: over(table.dead, t.vacuum) || over(table.insertedSinceVacuum, t.insert),
    analyze: over(table.modifiedSinceAnalyze, t.analyze),
  };
}

export interface MaintenanceLoop {
  /** Waits for a pass in progress, then stops. */
  stop(): Promise<void>;
}

/**
 * Runs `maintainEmbedded` every `intervalMs` (autovacuum_naptime, a minute by default) on the
 * embedded database; on PostgreSQL it starts nothing. A failed pass is logged and the next one
 * runs on time.
 */
export function startEmbeddedMaintenance(database: Database, log: Logger, intervalMs = 60_000, options: MaintenanceOptions = {}): MaintenanceLoop {
  if (!database.pglite) return { stop: async () => undefined };
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = maintainEmbedded(database, options)
      .then((pass) => {
        if (pass && (pass.vacuumed.length > 0 || pass.analyzed.length > 0 || pass.checkpointed)) log.info({ ...pass, ms: Math.round(pass.ms) }, 'embedded database maintained');
      })
      .catch((error: unknown) => log.error({ err: error }, 'embedded database maintenance failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs).unref();
      });
  };
  let timer = setTimeout(tick, intervalMs).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
