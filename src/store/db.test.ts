// Proves the store on the backend this run targets (PGlite, or PostgreSQL with DATABASE_URL):
// migrations are safe to re-run, constraints hold, and transactions roll back whole.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { backend, openTestDatabase } from '../../test/support/db.js';
import fc from 'fast-check';
import { sqlLiteral, statementName, type Database } from './db.js';
import { affiliates, applications, programs } from './schema.js';
import { DEFAULT_PLAN } from '../domain/index.js';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const at = new Date('2027-01-01T00:00:00Z');
const program = (id: string, slug: string) => ({
  id, slug, name: slug, currency: 'usd', landingUrl: 'https://x.example', cookieDays: 30, holdDays: 45, refundDays: 30,
  jvRateBps: 1000, planName: 'default', plan: DEFAULT_PLAN, createdAt: at, updatedAt: at,
});
const affiliate = (id: string, username: string, email: string) => ({
  id, username, usernameLower: username.toLowerCase(), email, name: username, createdAt: at,
});

describe(`store on ${backend}`, () => {
  it('runs migrations again without error or change', async () => {
    await database.migrate();
    await database.migrate();
    const rows = await database.transaction((tx) => tx.select().from(programs));
    expect(rows).toEqual([]);
  });

  it('keeps a seller’s sales, ids, customers and amounts in one index (drizzle/0008), so tier totals read no table rows', async () => {
    const rows = await database.transaction((tx) => tx.execute(sql`select indexdef from pg_indexes where indexname = 'payments_sale_affiliate'`));
    expect((rows as unknown as { rows: Array<{ indexdef: string }> }).rows.map((r) => r.indexdef)).toEqual([
      'CREATE INDEX payments_sale_affiliate ON public.payments USING btree (program_id, sale_affiliate_id, paid_at) INCLUDE (external_id, customer_id, amount)',
    ]);
  });

  it('keeps usernames unique without regard to case (R10.1)', async () => {
    await database.transaction((tx) => tx.insert(affiliates).values(affiliate('aff_1', 'Alice', 'alice@x.com')));
    await expect(database.transaction((tx) => tx.insert(affiliates).values(affiliate('aff_2', 'ALICE', 'other@x.com')))).rejects.toThrow();
  });

  it('rolls a failed transaction back whole', async () => {
    await expect(
      database.transaction(async (tx) => {
        await tx.insert(programs).values(program('prog_a', 'a'));
        await tx.insert(programs).values(program('prog_b', 'a')); // duplicate slug
      }),
    ).rejects.toThrow();
    const rows = await database.transaction((tx) => tx.select().from(programs).where(eq(programs.slug, 'a')));
    expect(rows).toEqual([]);
  });

  it('allows one open application per affiliate and program (R1.2), any number of denied ones', async () => {
    await database.transaction((tx) => tx.insert(programs).values(program('prog_k', 'k')));
    const application = (id: string, status: string) => ({
      id, programId: 'prog_k', affiliateId: 'aff_1', status, termsVersion: 'v1', termsAcceptedAt: at, createdAt: at,
    });
    await database.transaction((tx) => tx.insert(applications).values([application('ap_1', 'denied'), application('ap_2', 'denied'), application('ap_3', 'pending')]));
    await expect(database.transaction((tx) => tx.insert(applications).values(application('ap_4', 'approved')))).rejects.toThrow();
  });

  it('round-trips money as integers and instants as UTC', async () => {
    const row = (await database.transaction((tx) => tx.select().from(programs).where(eq(programs.id, 'prog_k'))))[0]!;
    expect(row.createdAt.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(row.jvRateBps).toBe(1000);
  });
});

describe.skipIf(backend !== 'pglite')('drizzle on PGlite', () => {
  const text = `select timestamptz '2027-01-02 03:04:05.678+00' as tz, timestamp '2027-01-02 03:04:05' as ts, date '2027-01-02' as d,
    interval '1 day 2 hours' as i, array[timestamptz '2027-01-02 03:04:05+00'] as tzs, array[1.5, 2]::numeric[] as ns, 7 as n, 'x' as t`;
  const identity = (value: string) => value;
  const drizzleParsers = Object.fromEntries([1114, 1184, 1186, 1082, 1231, 1115, 1185, 1187, 1182].map((oid) => [oid, identity]));

  it('hands PGlite no parsers (each costs a merge of its 318), and reads the same rows as with drizzle’s', async () => {
    const client = database.pglite!;
    const query = vi.spyOn(client, 'query');
    try {
      const viaDrizzle = (await database.db.execute(sql.raw(text))) as { rows: unknown[] };
      expect(query).toHaveBeenCalledTimes(1);
      expect(query.mock.calls[0]![2]).not.toHaveProperty('parsers');
      const withDrizzleParsers = (await client.query(text, [], { parsers: drizzleParsers })).rows;
      expect(viaDrizzle.rows).toEqual(withDrizzleParsers);
      expect(viaDrizzle.rows[0]).toMatchObject({ tz: '2027-01-02 03:04:05.678+00', i: '1 day 02:00:00', d: '2027-01-02', n: 7, t: 'x' });
    } finally {
      query.mockRestore();
    }
    // drizzle maps its columns from that text as before: an instant reads back as the Date written.
    await database.transaction((tx) => tx.insert(programs).values(program('prg_parsers', 'parsers')));
    const [row] = await database.transaction((tx) => tx.select({ createdAt: programs.createdAt }).from(programs).where(eq(programs.slug, 'parsers')));
    expect(row!.createdAt).toEqual(at);
  });

  it('runs an EXECUTE of a prepared statement through the simple protocol, and no value’s literal escapes it', async () => {
    const client = database.pglite!;
    const name = statementName('select $1::text as v, $2::text[] as vs');
    await client.exec(`prepare ${name}(text, text[]) as select $1::text as v, $2::text[] as vs`);
    const exec = vi.spyOn(client, 'exec');
    const query = vi.spyOn(client, 'query');
    try {
      const hostile = fc.oneof(
        fc.string({ unit: 'grapheme' }),
        fc.constantFrom("'", "\\'", "'; drop table programs; --", "\\", "E'", "$$", "');select 1;--", '\\x27', "''''"),
      );
      await fc.assert(
        fc.asyncProperty(hostile, fc.array(hostile, { maxLength: 3 }), async (value, values) => {
          fc.pre(!value.includes('\0') && values.every((v) => !v.includes('\0')));
          exec.mockClear();
          const text = `execute ${name}(${sqlLiteral(value)}, ${values.length === 0 ? "'{}'::text[]" : sqlLiteral(values)})`;
          const result = (await database.db.execute(sql.raw(text))) as { rows: Array<{ v: unknown; vs: unknown }> };
          expect(exec).toHaveBeenCalledTimes(1);
          expect(result.rows).toEqual([{ v: value, vs: values }]);
        }),
        { numRuns: 200 },
      );
      expect(query).not.toHaveBeenCalled();
      // The hostile values were data: the table they name is still there.
      await expect(database.transaction((tx) => tx.select({ n: sql<number>`count(*)::int` }).from(programs))).resolves.toHaveLength(1);
    } finally {
      exec.mockRestore();
      query.mockRestore();
    }
  });

  it('gives pg-boss PGlite’s built-in parsers (Date objects), which the client no longer applies by default', async () => {
    const client = database.pglite!;
    expect((await client.query<{ tz: unknown }>(text)).rows[0]!.tz).toBe('2027-01-02 03:04:05.678+00');
    const builtIn = (await client.query<{ tz: unknown; d: unknown }>(text, [], { parsers: database.pgliteBuiltInParsers! })).rows[0]!;
    expect(builtIn.tz).toEqual(new Date('2027-01-02T03:04:05.678Z'));
    expect(builtIn.d).toBeInstanceOf(Date);
  });
});
