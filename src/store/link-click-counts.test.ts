// Proves, on the backend this run targets, that the migration adding link_click_counts (drizzle/0003)
// counts the clicks recorded before it, and that the clicks inserted after it keep the counts equal
// to a count of the clicks.
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backend } from '../../test/support/db.js';
import { databaseBefore, type Cleanups } from '../../test/support/migrations.js';
import type { Database } from './db.js';
import { clicks } from './schema.js';

const cleanups: Cleanups = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;
const at = new Date('2027-03-01T12:00:00Z');
const click = (id: string, linkId: string, affiliateId: string, isBot = false) => ({
  id, linkId, programId: 'prog_m', affiliateId, clickedAt: at, recordedAt: at, isBot, credited: !isBot,
});

async function counts(database: Database) {
  return database.transaction(async (tx) => ({
    projected: rowsOf(await tx.execute(sql`select link_id, clicks::int as n from link_click_counts order by 1`)),
    counted: rowsOf(await tx.execute(sql`select link_id, count(*)::int as n from clicks where not is_bot group by 1 order by 1`)),
  }));
}

describe(`link_click_counts migration on ${backend}`, () => {
  it('counts the clicks recorded before it, then every click inserted after it', async () => {
    const database = await databaseBefore('0003_dashboard_reads', cleanups);
    await database.transaction((tx) =>
      tx.insert(clicks).values([click('clk_1', 'lnk_a', 'aff_a'), click('clk_2', 'lnk_a', 'aff_a'), click('clk_3', 'lnk_a', 'aff_a', true), click('clk_4', 'lnk_b', 'aff_b')]),
    );

    await database.migrate();
    expect(await counts(database)).toEqual({
      projected: [{ link_id: 'lnk_a', n: 2 }, { link_id: 'lnk_b', n: 1 }],
      counted: [{ link_id: 'lnk_a', n: 2 }, { link_id: 'lnk_b', n: 1 }],
    });

    await database.transaction((tx) => tx.insert(clicks).values([click('clk_5', 'lnk_a', 'aff_a'), click('clk_6', 'lnk_c', 'aff_a'), click('clk_7', 'lnk_c', 'aff_a', true)]));
    const after = await counts(database);
    expect(after.projected).toEqual([{ link_id: 'lnk_a', n: 3 }, { link_id: 'lnk_b', n: 1 }, { link_id: 'lnk_c', n: 1 }]);
    expect(after.projected).toEqual(after.counted);
  });
});
