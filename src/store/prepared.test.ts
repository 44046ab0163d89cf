// Proves, on the backend this run targets, that executePrepared answers (and fails) as tx.execute does:
// every kind of value it binds reads back as itself (on PGlite they travel as SQL literals in an
// EXECUTE, so quotes, backslashes and SQL in the text must stay data), a statement prepared in a
// transaction that rolled back still runs afterwards, and one name never serves two texts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { backend, openTestDatabase } from '../../test/support/db.js';
import { executePrepared, statementName, type Database } from './db.js';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

type Row = { doc: unknown };
const echo = (text: string, number: number, flag: boolean | null, list: string[]) =>
  sql`select json_build_object('text', ${text}::text, 'number', ${number}::bigint, 'flag', ${flag}::boolean, 'list', ${sql.param(list)}::text[]) as doc`;
const docOf = (result: { rows: unknown[] }) => {
  const doc = (result.rows[0] as Row).doc;
  return typeof doc === 'string' ? JSON.parse(doc) : doc;
};

describe(`executePrepared on ${backend}`, () => {
  it('reads every value back as itself, as tx.execute does (fast-check)', async () => {
    // Strings with quotes, backslashes, SQL and any Unicode but NUL (PostgreSQL text holds no NUL).
    const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\u0000'));
    const tricky = fc.constantFrom("'", "\\", "\\'", "''", "E'\\x41'", "'); drop table events; --", '$1', '\\\\n');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(text, tricky),
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.constantFrom(true, false, null),
        fc.array(fc.oneof(text, tricky), { maxLength: 4 }),
        async (s, n, flag, list) => {
          const prepared = await database.transaction((tx) => executePrepared(tx, echo(s, n, flag, list)));
          const plain = await database.transaction((tx) => tx.execute(echo(s, n, flag, list)));
          expect(docOf(prepared)).toEqual({ text: s, number: n, flag, list });
          expect(docOf(prepared)).toEqual(docOf(plain as unknown as { rows: unknown[] }));
        },
      ),
      { numRuns: 60 },
    );
    // Nothing the values said ran as SQL.
    const events = await database.transaction((tx) => tx.execute(sql`select count(*)::int as n from events`));
    expect((events as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(0);
  });

  it('runs a statement first prepared in a transaction that rolled back', async () => {
    const query = sql`select json_build_object('k', ${'rolled back'}::text, 'n', 7) as doc`;
    await expect(
      database.transaction(async (tx) => {
        await executePrepared(tx, query);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const again = await database.transaction((tx) => executePrepared(tx, query));
    expect(docOf(again)).toEqual({ k: 'rolled back', n: 7 });
  });

  it('fails as tx.execute fails: a DrizzleQueryError whose cause carries PostgreSQL’s code', async () => {
    const failing = database.transaction((tx) => executePrepared(tx, sql`select (1 / ${0}::int) as doc`));
    await expect(failing).rejects.toBeInstanceOf(DrizzleQueryError);
    await expect(failing).rejects.toSatisfy((error: unknown) => (error as { cause?: { code?: string } }).cause?.code === '22012'); // division_by_zero
  });

  it('names each text apart', () => {
    expect(statementName('select 1')).toBe(statementName('select 1'));
    expect(statementName('select 1')).not.toBe(statementName('select 2'));
    expect(statementName('select 1')).toMatch(/^q_[0-9a-f]{24}$/);
  });
});
