// Proves the store on the backend this run targets (PGlite, or PostgreSQL with DATABASE_URL):
// migrations are safe to re-run, constraints hold, and transactions roll back whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { backend, openTestDatabase } from '../../test/support/db.js';
import type { Database } from './db.js';
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
