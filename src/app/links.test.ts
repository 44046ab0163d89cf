// Proves, on the backend this run targets, that the click counts of the links page and of JV
// analytics (link_click_counts, kept by the clicks_count_by_link trigger in every click insert)
// equal a count of the clicks themselves: concurrent group-committed batches that share links, bots,
// and a failed batch that counts nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backend, openTestDatabase } from '../../test/support/db.js';
import type { Database } from '../store/db.js';
import { affiliates, applications } from '../store/schema.js';
import { ClickRecorder, type ClickRow } from './click-recorder.js';
import { FixedClock } from './clock.js';
import { createTrackingLink, linksOf } from './links.js';
import { createProgram, findProgram } from './programs.js';
import { recruitsOf } from './statements.js';
import { prng } from '../../test/support/random.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2027, 2, 10);
const clock = new FixedClock(new Date(T0 - 10 * DAY));

let database: Database;
let programId: string;
beforeAll(async () => {
  database = await openTestDatabase();
  programId = await database.transaction(async (tx) => {
    const program = await createProgram(tx, clock, {
      slug: 'counts', name: 'Counts', currency: 'usd', landingUrl: 'https://merchant.example/', cookieDays: 30, holdDays: 45, refundDays: 30, jvRateBps: 1000, plan: 'default',
    });
    // Bob is Ann's recruit (R6), so her JV analytics count his clicks.
    for (const id of ['aff_ann', 'aff_bob']) {
      await tx.insert(affiliates).values({ id, username: id, usernameLower: id, email: `${id}@x.example`, name: id, recruitedBy: id === 'aff_bob' ? 'aff_ann' : null, createdAt: clock.now() });
      await tx.insert(applications).values({ id: `app_${id}`, programId: program.id, affiliateId: id, status: 'approved', termsVersion: 'v1', termsAcceptedAt: clock.now(), createdAt: clock.now() });
    }
    return program.id;
  });
});
afterAll(async () => {
  await database.close();
});


const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/** The links page of one affiliate as counted by the old query: every human click, grouped by link. */
async function countedFromClicks(affiliateId: string): Promise<Map<string, number>> {
  const rows = rowsOf<{ link_id: string; n: number }>(
    await database.transaction((tx) =>
      tx.execute(sql`select link_id, count(*)::int as n from clicks where program_id = ${programId} and affiliate_id = ${affiliateId} and not is_bot group by link_id`),
    ),
  );
  return new Map(rows.map((r) => [r.link_id, Number(r.n)]));
}

async function pageOf(affiliateId: string): Promise<Map<string, number>> {
  const page = await database.transaction((tx) => linksOf(tx, clock, 'counts', affiliateId));
  return new Map([[page.main.link.id, page.main.clicks], ...page.tracking.map((t) => [t.link.id, t.clicks] as const)]);
}

/** Every link's count, from the projection and from the clicks. */
async function everyLink(): Promise<{ projected: unknown[]; counted: unknown[] }> {
  return database.transaction(async (tx) => ({
    projected: rowsOf(await tx.execute(sql`select program_id, affiliate_id, link_id, clicks::int as n from link_click_counts order by 1, 2, 3`)),
    counted: rowsOf(await tx.execute(sql`select program_id, affiliate_id, link_id, count(*)::int as n from clicks where not is_bot group by 1, 2, 3 order by 1, 2, 3`)),
  }));
}

describe(`per-link click counts on ${backend}`, () => {
  it('equal a count of the clicks after concurrent group-committed batches', async () => {
    const linkIds = await database.transaction(async (tx) => {
      const ann = await linksOf(tx, clock, 'counts', 'aff_ann');
      const blog = await createTrackingLink(tx, clock, 'counts', 'aff_ann', 'blog');
      const video = await createTrackingLink(tx, clock, 'counts', 'aff_ann', 'video');
      const bob = await linksOf(tx, clock, 'counts', 'aff_bob');
      return [
        { id: ann.main.link.id, affiliateId: 'aff_ann' },
        { id: blog.id, affiliateId: 'aff_ann' },
        { id: video.id, affiliateId: 'aff_ann' },
        { id: bob.main.link.id, affiliateId: 'aff_bob' },
      ];
    });
    // Batches of at most 25, so 800 clicks make many statements that upsert the same link rows;
    // two recorders, as two app nodes would run, so that on PostgreSQL two are in flight at once.
    const recorders = [new ClickRecorder(database, 25), new ClickRecorder(database, 25)];
    const random = prng(7);
    const rows: ClickRow[] = Array.from({ length: 800 }, (_, index) => {
      const link = linkIds[Math.floor(random() * linkIds.length)]!;
      const at = new Date(T0 + Math.floor((random() - 0.5) * 4 * DAY));
      const isBot = random() < 0.15;
      return { id: `clk_count_${index}`, linkId: link.id, programId, affiliateId: link.affiliateId, clickedAt: at, recordedAt: at, isBot, credited: !isBot };
    });
    await Promise.all(rows.map((row, index) => recorders[index % 2]!.record(row)));
    for (const recorder of recorders) await recorder.close();

    const humans = rows.filter((r) => !r.isBot).length;
    for (const affiliateId of ['aff_ann', 'aff_bob']) {
      const expected = await countedFromClicks(affiliateId);
      const page = await pageOf(affiliateId);
      for (const [linkId, clicks] of page) expect({ linkId, clicks }).toEqual({ linkId, clicks: expected.get(linkId) ?? 0 });
    }
    const recruits = await database.transaction(async (tx) => recruitsOf(tx, await findProgram(tx, 'counts'), 'aff_ann', clock.now()));
    expect(recruits.map((r) => ({ id: r.affiliate_id, clicks: r.clicks }))).toEqual([{ id: 'aff_bob', clicks: [...(await countedFromClicks('aff_bob')).values()].reduce((a, b) => a + b, 0) }]);
    const { projected, counted } = await everyLink();
    expect(projected).toEqual(counted);
    expect((counted as Array<{ n: number }>).reduce((sum, r) => sum + Number(r.n), 0)).toBe(humans);
  });

  it('counts nothing of a batch that fails (a duplicate click id rolls the whole insert back)', async () => {
    const recorder = new ClickRecorder(database);
    const link = (await pageOf('aff_ann')).keys().next().value!;
    const at = new Date(T0);
    const click = (id: string): ClickRow => ({ id, linkId: link, programId, affiliateId: 'aff_ann', clickedAt: at, recordedAt: at, isBot: false, credited: true });
    await recorder.record(click('clk_once'));
    const before = await everyLink();
    // Queued in one turn, so they travel in one statement, which fails on the stored clk_once.
    const results = await Promise.allSettled([recorder.record(click('clk_new_1')), recorder.record(click('clk_once')), recorder.record(click('clk_new_2'))]);
    await recorder.close();
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await everyLink()).toEqual(before);
    expect(before.projected).toEqual(before.counted);
  });
});
