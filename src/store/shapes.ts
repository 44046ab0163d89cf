// Statements whose SQL text is built once per shape, not once per run. drizzle rebuilds a
// statement's text from its query builder every time it runs, checking each chunk's class
// (drizzle's `is`, which walks the prototype chain) and each parameter's column type: for an
// event's claim and writes that was about a sixth of the server's CPU (bench/events.ts with
// BENCH_CPU_PROF_DIR). A shape is built once with placeholders where its values go, and each run
// only fills them in.
//
// A shape's build function sees placeholders, never values, so its text cannot depend on them;
// a value that reaches its text anyway (a closure over a variable) is refused when it is built.
import { and, eq, getTableColumns, getTableName, is, Param, Placeholder, sql, type SQLWrapper } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { executeLast, executePreparedQuery, internalsOf, pgliteExecuteText, runsAlone, statementName, type Tx } from './db.js';

/** A placeholder for the value named `name`, filled when the statement runs. */
export type Slot = (name: string) => Placeholder;

/** How one parameter of a built shape is filled: the value's name, and its column's encoder if it has one. */
interface ParameterSlot {
  name: string;
  encoder: { mapToDriverValue(value: unknown): unknown } | null;
}

/** A shape's text and its parameters, in the order of their $n. */
interface Built {
  text: string;
  /** The name it is prepared under; null for a one-off shape. */
  name: string | null;
  parameters: ParameterSlot[];
}

const builtShapes = new Map<string, Built>();

/** A statement with its values, ready to run alone or with others (runWrites). */
export interface Bound {
  readonly key: string;
  /** False for a shape seen rarely (a bulk insert's row count): built each time, run unprepared. */
  readonly cached: boolean;
  build(tx: Tx, slot: Slot): SQLWrapper;
  readonly values: Readonly<Record<string, unknown>>;
}

/**
 * A statement of one shape: `key` names it among every shape (two builds under one key must
 * write the same text), `build` writes it with `slot(name)` where the value `name` goes.
 */
export function shape(key: string, build: (tx: Tx, slot: Slot) => SQLWrapper): (values: Record<string, unknown>) => Bound {
  return (values) => ({ key, build, values, cached: true });
}

/** Inserts of more rows than this (a reassignment's reversals) are one-off shapes, not kept. */
const CACHED_ROWS_MAX = 16;

/**
 * INSERT of full rows into `table`, every column given (so the text depends only on how many
 * rows). Its values are the rows, each with every column of the table (null where empty).
 */
export function insertRows<T extends PgTable>(table: T, rows: ReadonlyArray<T['$inferInsert']>): Bound {
  const label = getTableName(table);
  const keys = Object.keys(getTableColumns(table));
  const values: Record<string, unknown> = {};
  rows.forEach((row, i) => {
    for (const key of keys) {
      const value = (row as Record<string, unknown>)[key];
      // Every column is given: an omitted one would take its default in drizzle's own INSERT.
      if (value === undefined) throw new Error(`insertRows(${label}): row ${i} has no "${key}"`);
      values[`${key}_${i}`] = value;
    }
  });
  return {
    key: `insert ${label} × ${rows.length}`,
    cached: rows.length <= CACHED_ROWS_MAX,
    build: (tx, slot) =>
      tx.insert(table).values(rows.map((_, i) => Object.fromEntries(keys.map((key) => [key, slot(`${key}_${i}`)])) as T['$inferInsert'])),
    values,
  };
}

/**
 * UPDATE `table` SET the columns of `set` WHERE each column of `where` equals its value (the text
 * depends only on which columns). Values go through their column's encoder, as drizzle's own.
 */
export function updateRows<T extends PgTable>(table: T, set: Partial<T['$inferInsert']>, where: Partial<T['$inferInsert']>): Bound {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const setKeys = Object.keys(set);
  const whereKeys = Object.keys(where);
  // An UPDATE without a condition would change every row; a condition on NULL would change none.
  if (whereKeys.length === 0 || whereKeys.some((key) => (where as Record<string, unknown>)[key] == null)) {
    throw new Error(`updateRows(${getTableName(table)}): every row it updates is named by non-null values`);
  }
  const values: Record<string, unknown> = {};
  for (const key of setKeys) values[`set.${key}`] = (set as Record<string, unknown>)[key];
  for (const key of whereKeys) values[`where.${key}`] = (where as Record<string, unknown>)[key];
  return {
    key: `update ${getTableName(table)} set ${setKeys.join(',')} where ${whereKeys.join(',')}`,
    cached: true,
    build: (tx, slot) =>
      tx
        .update(table)
        // A placeholder where drizzle expects a value: it binds it to the column (its encoder) as it would the value.
        .set(Object.fromEntries(setKeys.map((key) => [key, slot(`set.${key}`)])) as never)
        .where(and(...whereKeys.map((key) => eq(columns[key]!, new Param(slot(`where.${key}`), columns[key])))))
        .getSQL(),
    values,
  };
}

/** The shape `key` built (once, if `cached`), checked to hold no value but its placeholders. */
function builtOf(tx: Tx, key: string, cached: boolean, build: (tx: Tx, slot: Slot) => SQLWrapper): Built {
  const known = cached ? builtShapes.get(key) : undefined;
  if (known) return known;
  const query = internalsOf(tx).dialect.sqlToQuery(build(tx, (name) => sql.placeholder(name)).getSQL());
  const parameters = query.params.map((param, i): ParameterSlot => {
    if (is(param, Placeholder)) return { name: param.name, encoder: null };
    if (is(param, Param) && is(param.value, Placeholder)) return { name: param.value.name, encoder: param.encoder };
    throw new Error(`shape "${key}": parameter $${i + 1} is a value, not a placeholder (its text would depend on it)`);
  });
  const built: Built = { text: query.sql, name: cached ? statementName(query.sql) : null, parameters };
  if (cached) builtShapes.set(key, built);
  return built;
}

/**
 * The values of `built`'s parameters, in order: each through its column's encoder, as drizzle maps
 * a value in a statement it builds (null stays NULL). drizzle's own `fillPlaceholders` would encode
 * a null too, and write the JSON value null into a jsonb column.
 */
function fill(key: string, built: Built, values: Readonly<Record<string, unknown>>): unknown[] {
  return built.parameters.map(({ name, encoder }) => {
    const value = values[name];
    if (value === undefined) throw new Error(`shape "${key}": no value for "${name}"`);
    if (value === null || encoder === null) return value;
    return encoder.mapToDriverValue(value);
  });
}

/**
 * Runs `writes` as one statement (writable CTEs; the last is the main statement), prepared by
 * name: its text is built once per sequence of shapes. With `commits`, it is the transaction's
 * last statement and commits it (executeLast).
 */
export async function runWrites(tx: Tx, writes: readonly Bound[], options: { commits: boolean } = { commits: false }): Promise<void> {
  if (writes.length === 0) return;
  const key = writes.map((w) => w.key).join(' + ');
  const built = builtOf(tx, key, writes.every((w) => w.cached), (t, slot) => {
    const statements = writes.map((w, i) => w.build(t, (name) => slot(`w${i}.${name}`)).getSQL());
    const last = statements.pop()!;
    if (statements.length === 0) return last;
    const ctes = statements.map((s, i) => sql`${sql.raw(`w${i}`)} as (${s})`);
    return sql`with ${sql.join(ctes, sql`, `)} ${last}`;
  });
  const values: Record<string, unknown> = {};
  writes.forEach((w, i) => {
    for (const [name, value] of Object.entries(w.values)) values[`w${i}.${name}`] = value;
  });
  const query = { sql: built.text, params: fill(key, built, values), name: built.name };
  await (options.commits ? executeLast(tx, query) : executePreparedQuery(tx, query));
}

/** A select's shape: its text and parameters, and how drizzle maps its rows. */
interface BuiltSelect extends Built {
  fields: unknown;
  joinsNotNullableMap: unknown;
}

const builtSelects = new Map<string, BuiltSelect>();

/** What selectRows needs of a drizzle select builder. */
interface SelectBuilder extends SQLWrapper {
  prepare(name: string): unknown;
}

/** What a drizzle prepared select holds (internal, stable in 0.45): how to map its rows. */
interface PreparedSelect {
  fields: unknown;
  joinsNotNullableMap: unknown;
  execute(): Promise<unknown[]>;
}

/**
 * The rows of the select `build` writes (a drizzle select builder, `slot(name)` where each value
 * goes), mapped as drizzle maps them; built once per `key` and prepared by name.
 */
export async function selectRows<T>(tx: Tx, key: string, build: (tx: Tx, slot: Slot) => SelectBuilder, values: Readonly<Record<string, unknown>>): Promise<T[]> {
  let built = builtSelects.get(key);
  if (!built) {
    const select = build(tx, (name) => sql.placeholder(name));
    const shapeOf = builtOf(tx, `select ${key}`, true, () => select);
    // drizzle's own prepared select knows how its rows map (nested objects, joined nulls).
    const prepared = select.prepare(shapeOf.name!) as PreparedSelect;
    built = { ...shapeOf, fields: prepared.fields, joinsNotNullableMap: prepared.joinsNotNullableMap };
    builtSelects.set(key, built);
  }
  const filled = { sql: built.text, params: fill(key, built, values) };
  // PGlite's driver has no named statements: there the select runs as an EXECUTE of its PREPARE.
  // On PostgreSQL it is handed to the driver before this returns (sendTogether relies on it).
  const run = (text: { sql: string; params: unknown[] }) => {
    const query = internalsOf(tx).session.prepareQuery(text, built.fields, built.name ?? undefined, true) as unknown as PreparedSelect;
    query.joinsNotNullableMap = built.joinsNotNullableMap;
    return query.execute() as Promise<T[]>;
  };
  if (!runsAlone(tx)) return run(filled);
  return run({ sql: await pgliteExecuteText(tx, built.name!, filled), params: [] });
}

/** For tests: how many shapes have been built in this process. */
export function builtShapeCount(): number {
  return builtShapes.size;
}
