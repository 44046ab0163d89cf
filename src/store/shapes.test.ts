// Proves, on the backend this run targets, that a statement built once per shape (shapes.ts) writes
// and reads what drizzle's own builders write and read for the same values (column encoders, JSON
// null, quotes and backslashes in text), that each shape's text is built once, and that a shape
// whose text would carry a value, or that lacks one, is refused before anything is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { and, eq, sql } from 'drizzle-orm';
import { backend, openTestDatabase } from '../../test/support/db.js';
import type { Database } from './db.js';
import { subscriptions } from './schema.js';
import { builtShapeCount, insertRows, runWrites, selectRows, shape, updateRows } from './shapes.js';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

type SubscriptionInsert = typeof subscriptions.$inferInsert;
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 24 }).filter((s) => !s.includes('\u0000')),
  fc.constantFrom("'", '\\', "\\'", "E'\\x41'", "'); drop table events; --", '$1'),
);
const instant = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true });
const subscriptionRow = (program: string, id: string) =>
  fc.record({
    programId: fc.constant(program),
    externalId: fc.constant(id),
    customerId: text,
    customerEmail: fc.option(text, { nil: null }),
    interval: fc.constantFrom('month', 'year'),
    firstEventAt: instant,
    canceledAt: fc.option(instant, { nil: null }),
    // JSON null must stay SQL NULL, as drizzle writes it, not the JSON value null.
    binding: fc.option(fc.record({ affiliateId: text, note: text }, { noNullPrototype: true }), { nil: null }),
    boundAffiliateId: fc.option(text, { nil: null }),
    firstFullPaymentId: fc.option(text, { nil: null }),
    createdAt: instant,
  }, { noNullPrototype: true }) satisfies fc.Arbitrary<SubscriptionInsert>;

const rowsOf = (program: string) => database.transaction((tx) => tx.select().from(subscriptions).where(eq(subscriptions.programId, program)).orderBy(subscriptions.externalId));
const withoutProgram = <T extends { programId: string }>(rows: T[]) => rows.map(({ programId: _programId, ...rest }) => rest);

/** A subscription row with every column given, nothing in the optional ones. */
const plainSubscription = (programId: string, externalId: string): SubscriptionInsert => ({
  programId,
  externalId,
  customerId: 'c',
  customerEmail: null,
  interval: 'month',
  firstEventAt: new Date(0),
  canceledAt: null,
  binding: null,
  boundAffiliateId: null,
  firstFullPaymentId: null,
  createdAt: new Date(0),
});

let programCounter = 0;
const freshProgram = () => `prg_shape_${backend}_${(programCounter += 1)}`;

describe(`statement shapes on ${backend}`, () => {
  it('inserts and updates what drizzle inserts and updates for the same values (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(subscriptionRow('shaped', 'a'), subscriptionRow('shaped', 'b')),
        fc.option(fc.record({ affiliateId: text }, { noNullPrototype: true }), { nil: null }),
        async ([a, b], binding) => {
          const shaped = freshProgram();
          const plain = freshProgram();
          const rows = [a, b];
          await database.transaction(async (tx) => {
            await runWrites(tx, [insertRows(subscriptions, rows.map((r) => ({ ...r, programId: shaped })))]);
            await runWrites(tx, [updateRows(subscriptions, { binding, canceledAt: null }, { programId: shaped, externalId: 'b' })]);
            await tx.insert(subscriptions).values(rows.map((r) => ({ ...r, programId: plain })));
            await tx
              .update(subscriptions)
              .set({ binding, canceledAt: null })
              .where(and(eq(subscriptions.programId, plain), eq(subscriptions.externalId, 'b')));
          });
          const [written, expected] = [await rowsOf(shaped), await rowsOf(plain)];
          expect(withoutProgram(written)).toEqual(withoutProgram(expected));
          // drizzle reads SQL NULL and the JSON value null alike: count the SQL NULLs each wrote.
          const nullBindings = async (program: string) => {
            const result = (await database.transaction((tx) =>
              tx.execute(sql`select count(*)::int as n from subscriptions where program_id = ${program} and binding is null`),
            )) as { rows: unknown[] };
            return Number((result.rows[0] as { n: number }).n);
          };
          expect(await nullBindings(shaped)).toBe(await nullBindings(plain));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('selects what drizzle selects, nested objects and instants included', async () => {
    const program = freshProgram();
    const row = fc.sample(subscriptionRow(program, 'sel'), { numRuns: 1, seed: 3 })[0]!;
    await database.transaction((tx) => tx.insert(subscriptions).values({ ...row, binding: { affiliateId: 'aff_1', boundAt: 5 } }));
    const read = await database.transaction(async (tx) => {
      const shaped = await selectRows<unknown>(
        tx,
        'shapes.test subscription with program',
        (t, slot) =>
          t
            .select({ subscription: subscriptions, label: sql<string>`${slot('label')}::text` })
            .from(subscriptions)
            .where(and(eq(subscriptions.programId, slot('program')), eq(subscriptions.externalId, slot('id')))),
        { program, id: 'sel', label: "it's" },
      );
      const plain = await tx
        .select({ subscription: subscriptions, label: sql<string>`${"it's"}::text` })
        .from(subscriptions)
        .where(and(eq(subscriptions.programId, program), eq(subscriptions.externalId, 'sel')));
      return { shaped, plain };
    });
    expect(read.shaped).toHaveLength(1);
    expect(read.shaped).toEqual(read.plain);
  });

  it("builds a shape's text once however many times it runs, and a bulk insert's not at all", async () => {
    const program = freshProgram();
    const rows = (n: number, from: number) => Array.from({ length: n }, (_, i) => plainSubscription(program, `s${from + i}`));
    const before = builtShapeCount();
    await database.transaction((tx) => runWrites(tx, [insertRows(subscriptions, rows(3, 0))]));
    expect(builtShapeCount()).toBe(before + 1);
    await database.transaction((tx) => runWrites(tx, [insertRows(subscriptions, rows(3, 3))]));
    // One more row than a kept shape may have: built for this run only.
    await database.transaction((tx) => runWrites(tx, [insertRows(subscriptions, rows(17, 6))]));
    expect(builtShapeCount()).toBe(before + 1);
    expect(await rowsOf(program)).toHaveLength(23);
  });

  it('refuses a shape whose text would carry a value, or a run missing a value, and writes nothing', async () => {
    const program = freshProgram();
    const baked = program; // a value, not a placeholder: the text would depend on it
    const bakedWrite = shape('shapes.test baked value', (tx) => tx.update(subscriptions).set({ interval: 'year' }).where(eq(subscriptions.programId, baked)));
    const missing = shape('shapes.test missing value', (tx, slot) =>
      tx
        .update(subscriptions)
        .set({ interval: slot('interval') as never })
        .where(eq(subscriptions.programId, slot('program'))),
    );
    const insert = insertRows(subscriptions, [plainSubscription(program, 'x')]);
    await expect(database.transaction((tx) => runWrites(tx, [insert, bakedWrite({})]))).rejects.toThrow(/is a value, not a placeholder/);
    await expect(database.transaction((tx) => runWrites(tx, [insert, missing({ program })]))).rejects.toThrow(/no value for "w1.interval"/);
    expect(() => insertRows(subscriptions, [{ programId: program } as never])).toThrow(/has no "externalId"/);
    expect(() => updateRows(subscriptions, { interval: 'year' }, {})).toThrow(/named by non-null values/);
    expect(() => updateRows(subscriptions, { interval: 'year' }, { programId: program, externalId: null as never })).toThrow(/named by non-null values/);
    expect(await rowsOf(program)).toHaveLength(0);
  });
});
