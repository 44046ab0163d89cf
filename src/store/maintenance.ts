// Autovacuum for the embedded database. PGlite runs PostgreSQL as one backend inside this process,
// with no background workers, so nothing vacuums or analyzes its tables: the rows that updates and
// deletes leave behind (events answered, subscriptions rebilled, link counters, pg-boss's job
// churn) are never reclaimed and the data directory only grows, and the planner never gets
// statistics. Every minute (autovacuum_naptime) this does what autovacuum would: it flushes the
// backend's table counters and vacuums and analyzes each table past autovacuum's own thresholds,
// read from the database's settings. One table at a time, each through PGlite's own mutex, so
// requests run between tables and a statement never lands inside an open transaction.
// On PostgreSQL the server's autovacuum does this, and this module does nothing.
import type { Logger } from 'pino';
import type { Database } from './db.js';

/** What one pass did: the tables vacuumed and analyzed (schema-qualified), and how long it took. */
export interface MaintenancePass {
  vacuumed: string[];
  analyzed: string[];
  ms: number;
}

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
 * analyze do. Null on PostgreSQL, whose autovacuum does it.
 */
export async function maintainEmbedded(database: Database): Promise<MaintenancePass | null> {
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
          'autovacuum_analyze_threshold', 'autovacuum_analyze_scale_factor')`,
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
  const pass: MaintenancePass = { vacuumed: [], analyzed: [], ms: 0 };
  for (const table of tables) {
    const { vacuum, analyze } = due(table, thresholds);
    if (!vacuum && !analyze) continue;
    // `name` comes from format('%I.%I'): quoted identifiers, safe to splice.
    await client.exec(vacuum ? `vacuum ${analyze ? '(analyze) ' : ''}${table.name}` : `analyze ${table.name}`);
    if (vacuum) pass.vacuumed.push(table.name);
    if (analyze) pass.analyzed.push(table.name);
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
export function startEmbeddedMaintenance(database: Database, log: Logger, intervalMs = 60_000): MaintenanceLoop {
  if (!database.pglite) return { stop: async () => undefined };
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = maintainEmbedded(database)
      .then((pass) => {
        if (pass && (pass.vacuumed.length > 0 || pass.analyzed.length > 0)) log.info({ ...pass, ms: Math.round(pass.ms) }, 'embedded database vacuumed and analyzed');
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
