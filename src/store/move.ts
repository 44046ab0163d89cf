// Moves an embedded database into PostgreSQL (docs/scaling.md, "Stage 1 → Stage 2"): every table
// of the schema, row for row, into an empty database migrated to the same version, in one
// transaction on the target, so a move that fails leaves the target as empty as it found it.
//
// Rows travel as JSON text (`json_agg` on the source, `json_populate_recordset` on the target):
// both sides are PostgreSQL of one schema, so every value reads back as itself (timestamps keep
// their microseconds, money its integers, JSON its documents) without passing through JS types.
// pg-boss's schema is not copied: its jobs are derived again from the tables (payout polling reads
// the runs being sent, mail reads the outbox), and it creates its own schema on the target.
import { getTableColumns, getTableName, is, sql, type SQL } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import type { Database, Tx } from './db.js';
import * as schema from './schema.js';

/** Why a move was refused before it wrote anything. */
export class MoveRefused extends Error {
  override readonly name = 'MoveRefused';
}

export interface MovedTable {
  table: string;
  rows: number;
}

interface TableInfo {
  table: PgTable;
  name: string;
  /** Its primary key's columns (database names), the order rows are read in. */
  key: string[];
  /** The tables its foreign keys point at. */
  parents: string[];
}

/** Every table of the schema, parents before the tables that reference them. */
export function tablesInDependencyOrder(): TableInfo[] {
  const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));
  const infos = new Map<string, TableInfo>();
  for (const table of tables) {
    const config = getTableConfig(table);
    const columns = Object.values(getTableColumns(table));
    const key = config.primaryKeys[0]?.columns.map((c) => c.name) ?? columns.filter((c) => c.primary).map((c) => c.name);
    if (key.length === 0) throw new Error(`move: table ${config.name} has no primary key to read it in order`);
    const parents = config.foreignKeys.map((fk) => getTableName(fk.reference().foreignTable)).filter((parent) => parent !== config.name);
    infos.set(config.name, { table, name: config.name, key, parents });
  }
  const ordered: TableInfo[] = [];
  const placed = new Set<string>();
  const place = (info: TableInfo, path: string[]) => {
    if (placed.has(info.name)) return;
    if (path.includes(info.name)) throw new Error(`move: foreign keys form a cycle: ${[...path, info.name].join(' → ')}`);
    for (const parent of info.parents) place(infos.get(parent)!, [...path, info.name]);
    placed.add(info.name);
    ordered.push(info);
  };
  for (const info of [...infos.values()].sort((a, b) => a.name.localeCompare(b.name))) place(info, []);
  return ordered;
}

const ident = (name: string) => sql.raw(`"${name.replace(/"/g, '""')}"`);
const firstRow = <T>(result: unknown) => (result as { rows: T[] }).rows[0]!;

async function rowCount(tx: Tx, name: string): Promise<number> {
  return Number(firstRow<{ n: number | string }>(await tx.execute(sql`select count(*) as n from ${ident(name)}`)).n);
}

/** One page of `info`'s rows after `after` (its key's values, null for the first page), as JSON text. */
async function readPage(tx: Tx, info: TableInfo, after: unknown[] | null, limit: number): Promise<{ json: string; rows: number; last: unknown[] | null }> {
  const key = sql.join(info.key.map(ident), sql`, `);
  const where = after ? sql`where (${key}) > (${sql.join(after.map((v) => sql`${v}`), sql`, `)})` : sql``;
  const page = firstRow<{ page: string | null }>(
    await tx.execute(sql`select json_agg(t order by ${key})::text as page from (select * from ${ident(info.name)} ${where} order by ${key} limit ${limit}) t`),
  ).page;
  if (page === null) return { json: '[]', rows: 0, last: null };
  const rows = JSON.parse(page) as Array<Record<string, unknown>>;
  const last = rows.at(-1)!;
  return { json: page, rows: rows.length, last: info.key.map((column) => last[column]) };
}

/** PostgreSQL's own message and detail of a failed statement, without the statement's parameters. */
function databaseReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const e = cause as { message?: string; detail?: string };
  return [e.message ?? String(cause), e.detail].filter(Boolean).join(': ');
}

/** Sums that a copy must keep: money per table, so a value changed on the way shows as well as a row lost. */
const CHECKSUMS: Array<{ table: string; expression: SQL }> = [
  { table: 'payments', expression: sql`coalesce(sum(amount), 0)::text` },
  { table: 'refunds', expression: sql`coalesce(sum(amount), 0)::text` },
  { table: 'commissions', expression: sql`coalesce(sum(amount), 0)::text` },
  { table: 'ledger_entries', expression: sql`coalesce(sum(amount), 0)::text` },
  { table: 'payout_items', expression: sql`coalesce(sum(amount), 0)::text` },
  { table: 'link_click_counts', expression: sql`coalesce(sum(clicks), 0)::text` },
  { table: 'recruit_jv_nets', expression: sql`coalesce(sum(net), 0)::text` },
];

async function checksums(tx: Tx): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (const { table, expression } of CHECKSUMS) sums[table] = firstRow<{ s: string }>(await tx.execute(sql`select ${expression} as s from ${ident(table)}`)).s;
  return sums;
}

/**
 * Copies every table of `source` into `target`, which must be migrated to the same version and
 * hold no row. The target's triggers stay off while rows arrive (the per-link click counters and
 * the recruits' JV nets are copied as they are, not counted again). Afterwards every table's row
 * count and the money sums (CHECKSUMS) must agree, or the target's transaction rolls back and this
 * throws. Stop the server first: the source is read one page at a time.
 */
export async function moveDatabase(source: Database, target: Database, options: { pageRows?: number; progress?: (moved: MovedTable) => void } = {}): Promise<MovedTable[]> {
  const pageRows = options.pageRows ?? 5_000;
  const tables = tablesInDependencyOrder();
  const known = new Set(tables.map((t) => t.name));
  const listTables = (tx: Tx) =>
    tx.execute(sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`) as unknown as Promise<{
      rows: Array<{ table_name: string }>;
    }>;
  for (const [side, database] of [
    ['source', source],
    ['target', target],
  ] as const) {
    const present = (await database.transaction(listTables)).rows.map((r) => r.table_name);
    const unknown = present.filter((name) => !known.has(name));
    const missing = tables.filter((t) => !present.includes(t.name)).map((t) => t.name);
    if (unknown.length > 0 || missing.length > 0) {
      throw new MoveRefused(
        `The ${side} database's tables are not this version's schema (${[unknown.length ? `not in it: ${unknown.join(', ')}` : '', missing.length ? `missing: ${missing.join(', ')}` : ''].filter(Boolean).join('; ')}). Run the migrations of this version on both first.`,
      );
    }
  }
  const filled = await target.transaction(async (tx) => {
    const names: string[] = [];
    for (const info of tables) if ((await rowCount(tx, info.name)) > 0) names.push(info.name);
    return names;
  });
  if (filled.length > 0) throw new MoveRefused(`The target database is not empty (rows in ${filled.join(', ')}): a move only fills an empty database.`);

  const moved: MovedTable[] = [];
  await target.transaction(async (tx) => {
    // Rows arrive as they were, counters included: no trigger may count them a second time.
    for (const info of tables) await tx.execute(sql`alter table ${ident(info.name)} disable trigger user`);
    for (const info of tables) {
      let after: unknown[] | null = null;
      let rows = 0;
      for (;;) {
        const page = await source.transaction((stx) => readPage(stx, info, after, pageRows));
        if (page.rows === 0) break;
        try {
          await tx.execute(sql`insert into ${ident(info.name)} select * from json_populate_recordset(null::${ident(info.name)}, ${page.json}::json)`);
        } catch (error) {
          // The driver's error quotes the statement's parameters: a page of rows (password hashes,
          // encrypted tax ids). Say what failed and why, not the rows.
          throw new Error(`move: writing ${info.name} failed: ${databaseReason(error)}`, { cause: error });
        }
        rows += page.rows;
        after = page.last;
        if (page.rows < pageRows) break;
      }
      const counted = await rowCount(tx, info.name);
      const expected = await source.transaction((stx) => rowCount(stx, info.name));
      if (counted !== expected || counted !== rows) throw new Error(`move: ${info.name} has ${counted} rows in the target, ${expected} in the source (${rows} copied)`);
      moved.push({ table: info.name, rows });
      options.progress?.({ table: info.name, rows });
    }
    for (const info of tables) await tx.execute(sql`alter table ${ident(info.name)} enable trigger user`);
    const [expected, copied] = [await source.transaction(checksums), await checksums(tx)];
    for (const { table } of CHECKSUMS) {
      if (expected[table] !== copied[table]) throw new Error(`move: the sum over ${table} is ${copied[table]} in the target, ${expected[table]} in the source`);
    }
  });
  return moved;
}
