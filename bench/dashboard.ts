// Bench 4: the affiliate dashboard's reads on PostgreSQL with 10M clicks stored, on the month-close
// program (100k affiliates, 2M commissions; skewed, so the biggest sellers have the most rows):
// GET /api/v1/affiliates/{id}/balance|tier|links|recruits and GET /api/v1/commissions?affiliate_id=, one at a
// time, for the 20 biggest sellers and 180 affiliates drawn at random. Beside them, the same
// server's /healthz (no database) and /readyz (one round trip) as the floor. Then the admin's
// program-wide lists (commissions, page 1 and page 10 and by status, applications, affiliates,
// self-referral flags), each 50 times, whose cost must not grow with the program.
import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { affiliateId } from './lib/generate.js';
import { HttpDriver } from './lib/http-driver.js';
import { createFreshDatabase, type FreshDatabase } from './lib/postgres.js';
import { prng } from '../test/support/random.js';
import { QUICK, quantile, type Report } from './lib/report.js';
import { BENCH_API_KEY, startServer } from './lib/server.js';
import { FULL, runWorker } from './month-close.js';

const CLICKS = QUICK ? 200_000 : 10_000_000;
const CLICK_CHUNK = 1_000_000;

export interface DashboardData {
  database: FreshDatabase;
  affiliates: number;
  slug: string;
}

/** Generates the month-close program when no one handed one over (BENCH_ONLY=dashboard). */
export async function dashboardData(): Promise<DashboardData> {
  const database = await createFreshDatabase('dashboard');
  const size = FULL;
  console.log(`\nDashboard: generating the program (${size.affiliates} affiliates, ${size.commissions} commissions) …`);
  await runWorker({ databaseUrl: database.url, ...size, tierSample: 20, generateOnly: true });
  return { database, affiliates: size.affiliates, slug: 'scale' };
}

async function addClicks(url: string, affiliates: number, slug: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const program = (await client.query<{ id: string }>('select id from programs where slug = $1', [slug])).rows[0]!.id;
    const started = performance.now();
    for (let from = 1; from <= CLICKS; from += CLICK_CHUNK) {
      const to = Math.min(CLICKS, from + CLICK_CHUNK - 1);
      // Skewed like the sales (rank ~ N·u³); ids and link ids follow the generator's conventions.
      await client.query(
        `insert into clicks (id, link_id, program_id, affiliate_id, clicked_at, recorded_at, is_bot, credited, ip_hash, user_agent, referrer)
         select 'clk_g' || g, 'lnk_benchm' || lpad(r::text, 10, '0'), $1, 'aff_bench' || lpad(r::text, 11, '0'), t, t, g % 20 = 0, g % 20 <> 0,
                substr(md5(g::text), 1, 32), 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36', null
         from (select g, least($2 - 1, floor($2 * power(random(), 3)))::int as r,
                      timestamptz '2027-01-01' + random() * interval '547 days' as t
               from generate_series($3::int, $4::int) g) s`,
        [program, affiliates, from, to],
      );
      console.log(`  clicks: ${to} of ${CLICKS} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    // The clicks_count_by_link trigger has upserted link_click_counts once per chunk: vacuum both.
    await client.query('vacuum analyze clicks, link_click_counts');
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}

export async function dashboardBench(report: Report, data: DashboardData): Promise<void> {
  const section = report.section(`Dashboard reads on PostgreSQL: ${CLICKS} clicks, ${data.affiliates} affiliates; requests one at a time`);
  const clickSeconds = await addClicks(data.database.url, data.affiliates, data.slug);
  const dataDir = mkdtempSync(join(tmpdir(), 'affable-bench-dashboard-'));
  const server = await startServer({ dataDir, databaseUrl: data.database.url });
  try {
    const driver = new HttpDriver(server.url, 1, { authorization: `Bearer ${BENCH_API_KEY}` });
    const random = prng(5);
    const heavy = Array.from({ length: 20 }, (_, i) => affiliateId(i));
    const typical = Array.from({ length: 180 }, () => affiliateId(Math.floor(random() * data.affiliates)));
    const endpoints: Array<[string, (id: string) => string]> = [
      ['GET /affiliates/{id}/balance', (id) => `/api/v1/affiliates/${id}/balance?program=${data.slug}`],
      ['GET /affiliates/{id}/tier', (id) => `/api/v1/affiliates/${id}/tier?program=${data.slug}`],
      ['GET /affiliates/{id}/links', (id) => `/api/v1/affiliates/${id}/links?program=${data.slug}`],
      ['GET /commissions?affiliate_id=', (id) => `/api/v1/commissions?program=${data.slug}&affiliate_id=${id}&limit=20`],
      // R6.3 JV analytics: ranks 0, 5, 10 and 15 of the biggest sellers recruited ranks 4, 9, 14 and 19.
      ['GET /affiliates/{id}/recruits', (id) => `/api/v1/affiliates/${id}/recruits?program=${data.slug}`],
      // R9.3: the portal's program page (clicks, sales and commissions per day and per link).
      ['GET /affiliates/{id}/stats', (id) => `/api/v1/affiliates/${id}/stats?program=${data.slug}`],
    ];
    const time = async (path: string) => {
      const started = performance.now();
      const res = await driver.send('GET', path);
      if (res.status !== 200) throw new Error(`${path} → ${res.status}: ${res.body.slice(0, 300)}`);
      return performance.now() - started;
    };
    // Warm the server's code paths and PostgreSQL's caches alike for every endpoint.
    for (const [, path] of endpoints) for (const id of [...heavy.slice(0, 3), ...typical.slice(0, 10)]) await time(path(id));
    const floor = async (label: string, path: string) => {
      const samples: number[] = [];
      for (let i = 0; i < 200; i += 1) samples.push(await time(path));
      section.rows.push({ endpoint: label, affiliates: '–', p50: quantile(samples, 0.5), p95: quantile(samples, 0.95), max: Math.max(...samples) });
    };
    await floor('baseline: GET /healthz (no database)', '/healthz');
    await floor('baseline: GET /readyz (one round trip)', '/readyz');
    for (const [label, path] of endpoints) {
      const heavySamples: number[] = [];
      const typicalSamples: number[] = [];
      for (const id of heavy) heavySamples.push(await time(path(id)));
      for (const id of typical) typicalSamples.push(await time(path(id)));
      const all = [...heavySamples, ...typicalSamples];
      section.rows.push({ endpoint: label, affiliates: 'all 200', p50: quantile(all, 0.5), p95: quantile(all, 0.95), max: Math.max(...all) });
      section.rows.push({ endpoint: '', affiliates: '20 biggest', p50: quantile(heavySamples, 0.5), p95: quantile(heavySamples, 0.95), max: Math.max(...heavySamples) });
      section.rows.push({ endpoint: '', affiliates: '180 random', p50: quantile(typicalSamples, 0.5), p95: quantile(typicalSamples, 0.95), max: Math.max(...typicalSamples) });
    }
    // The admin's lists over the whole program: each read must start where its page starts.
    const tenthPage = async (path: string) => {
      let next = path;
      for (let n = 1; n < 10; n += 1) {
        const res = await driver.send('GET', next);
        const cursor = (JSON.parse(res.body) as { next_cursor: string | null }).next_cursor;
        if (res.status !== 200 || !cursor) throw new Error(`${next} → ${res.status}: no page ${n + 1}`);
        next = `${path}&cursor=${encodeURIComponent(cursor)}`;
      }
      return next;
    };
    const lists: Array<[string, string]> = [
      ['GET /commissions (whole program), page 1', `/api/v1/commissions?program=${data.slug}&limit=20`],
      ['GET /commissions (whole program), page 10', await tenthPage(`/api/v1/commissions?program=${data.slug}&limit=20`)],
      // The console's status filter: statuses are derived, and each walks the program newest first
      // past the commissions of other statuses (due and paid past every one still in hold).
      ['GET /commissions?status=due (whole program)', `/api/v1/commissions?program=${data.slug}&status=due&limit=20`],
      ['GET /commissions?status=paid (whole program)', `/api/v1/commissions?program=${data.slug}&status=paid&limit=20`],
      ['GET /commissions?status=reversed (whole program)', `/api/v1/commissions?program=${data.slug}&status=reversed&limit=20`],
      ['GET /programs/{slug}/applications, page 1', `/api/v1/programs/${data.slug}/applications?limit=20`],
      ['GET /programs/{slug}/applications, page 10', await tenthPage(`/api/v1/programs/${data.slug}/applications?limit=20`)],
      ['GET /console/affiliates (newest 50)', '/api/v1/console/affiliates'],
      ['GET /console/fraud (self-referral flags)', `/api/v1/console/fraud?program=${data.slug}`],
    ];
    for (const [, path] of lists) for (let i = 0; i < 3; i += 1) await time(path);
    for (const [label, path] of lists) {
      const samples: number[] = [];
      for (let i = 0; i < 50; i += 1) samples.push(await time(path));
      section.rows.push({ endpoint: label, affiliates: 'admin', p50: quantile(samples, 0.5), p95: quantile(samples, 0.95), max: Math.max(...samples) });
    }
    driver.close();
    section.notes.push(`Latencies in ms, measured by the client over loopback. ${CLICKS} clicks were generated in ${clickSeconds.toFixed(0)} s (INSERT … SELECT generate_series, skewed like the sales).`);
    section.notes.push(`The biggest seller holds ~2% of the clicks and sales (rank ~ N·u³). Target: p95 ≤ 50 ms.`);
    section.notes.push(...(await explainHot(data.database.url, data.slug)));
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  report.print(section);
}

/** The plans of the dashboard's heaviest queries for the biggest seller (index suggestions). */
async function explainHot(url: string, slug: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const program = (await client.query<{ id: string }>('select id from programs where slug = $1', [slug])).rows[0]!.id;
    const top = affiliateId(0);
    const plans: string[] = [];
    const explain = async (label: string, text: string, params: unknown[]) => {
      const rows = (await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers off, timing off, summary on) ${text}`, params)).rows;
      plans.push(`plan of ${label} for the biggest seller: ${rows.map((r) => r['QUERY PLAN'].trim()).join(' | ')}`);
    };
    await explain('the links click counts (linkStats)', 'select link_id, clicks from link_click_counts where program_id = $1 and affiliate_id = $2', [program, top]);
    // As balanceOf sends it: "at most now" is "before now's next millisecond" (now: the test clock's).
    const next = (
      await client.query<{ next: Date }>(
        `select t.frozen_time + interval '1 millisecond' as next from programs p join test_clocks t on t.id = p.test_clock_id where p.id = $1`,
        [program],
      )
    ).rows[0]!.next;
    await explain(
      'the balance sums (balanceOf)',
      `select coalesce(sum(amount) filter (where due_at >= $3), 0), coalesce(sum(amount) filter (where due_at < $3), 0),
              coalesce(sum(-amount) filter (where type = 'payout'), 0)
       from ledger_entries where program_id = $1 and affiliate_id = $2 and at < $3`,
      [program, top, next],
    );
    return plans;
  } finally {
    await client.end();
  }
}
