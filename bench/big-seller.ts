// Bench 2b: what one payment event costs when it credits a big seller. Pricing a payment needs
// the credited affiliate's tier standing from every sale of the last 12 months (R5.1, R5.3), and
// real programs have sellers with tens of thousands of them. The same payments, one at a time,
// credit an affiliate with `SALES` sales in their window and, as the baseline in the same run, a
// new affiliate with none; each answer must carry the tier those sales earn (the top tier for the
// big seller, the referral tier for the new one), so a bench that skipped the sales would fail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, createAffiliate, createProgram, type BenchAffiliate } from './lib/api.js';
import { bulkInsert, exec } from './lib/bulk.js';
import { openTarget, rowsOf, type Target } from './lib/db.js';
import { HttpDriver } from './lib/http-driver.js';
import { createFreshDatabase } from './lib/postgres.js';
import { QUICK, quantile, type Report } from './lib/report.js';
import { BENCH_API_KEY, startServer } from './lib/server.js';
import { payments, refunds } from '../src/store/schema.js';
import { DEFAULT_PLAN } from '../src/domain/index.js';

const SALES = QUICK ? 5_000 : 30_000;
/** The program's other sellers and their sales (a tenth refunded). */
const OTHER_SELLERS = QUICK ? 1_000 : 10_000;
const OTHER_SALES = QUICK ? 100_000 : 1_000_000;
const EVENTS = QUICK ? 60 : 300;
/** The passes over the same data: plans as chosen, then generic plans forced (`mode`: plan_cache_mode). */
const PLANS = [
  { label: 'as chosen', mode: null, events: EVENTS, refunds: QUICK ? 30 : 100, reassignments: QUICK ? 10 : 30 },
  { label: 'generic plans forced', mode: 'force_generic_plan', events: QUICK ? 30 : 100, refunds: QUICK ? 30 : 100, reassignments: QUICK ? 10 : 30 },
] as const;
/** Each bench payment's amount (minor units). */
const PAYMENT = 9_900;
const PROGRAM = 'bigseller';
const DAY_MS = 86_400_000;

interface Measured {
  kind: 'payment' | 'refund' | 'reassignment to';
  latenciesMs: number[];
  tiers: Set<string>;
}

export async function bigSellerBench(report: Report, backends: Array<'pglite' | 'postgres'>): Promise<void> {
  const section = report.section(
    `Events for a big seller: ${EVENTS} payment events each, then refunds of some of them and reassignments (R3.2) into and out of the seller, one at a time, crediting an affiliate with ${SALES.toLocaleString('en')} sales (a tenth partly refunded) in their 12-month tier window, beside the same for an affiliate with none, in a program whose ${OTHER_SELLERS.toLocaleString('en')} other sellers have ${OTHER_SALES.toLocaleString('en')} sales (a tenth refunded)`,
  );
  const top = DEFAULT_PLAN.tiers.at(-1)!.key;
  for (const backend of backends) {
    const dataDir = mkdtempSync(join(tmpdir(), 'affable-bench-big-'));
    const fresh = backend === 'postgres' ? await createFreshDatabase('bigseller') : null;
    const target: Target = { backend, dataDir, databaseUrl: fresh?.url };
    try {
      // The program and both affiliates through the API, then the big seller's history straight into the database.
      let server = await startServer({ dataDir, databaseUrl: fresh?.url });
      const api = new Api(server.url);
      await createProgram(api, PROGRAM);
      const big = await createAffiliate(api, PROGRAM, 'bigseller');
      const fresher = await createAffiliate(api, PROGRAM, 'newseller');
      await server.stop();
      await seedSales(target, big);

      // Two passes over the same data: plans as the database chooses them, then every prepared
      // statement on its generic plan. PostgreSQL switches a prepared statement to its generic
      // plan after five runs when it looks no dearer, and a generic plan made for an average
      // affiliate once took a big seller's payment from 0.1 to 23 s (docs/scaling.md, "A big
      // seller in a big program"). Forcing it shows what any statement of the event path would
      // cost on that plan, instead of waiting for the database to choose it.
      let eventNo = 0;
      for (const plans of PLANS) {
        if (plans.mode) {
          await setPlanCacheMode(target, plans.mode);
        }
        server = await startServer({ dataDir, databaseUrl: fresh?.url, cpuProfDir: process.env['BENCH_CPU_PROF_DIR'] });
        try {
          const driver = new HttpDriver(server.url, 1, { authorization: `Bearer ${BENCH_API_KEY}` });
          /** One POST, timed; any status but `expected` stops the bench. Answers the commissions the answer shows. */
          const post = async (path: string, body: unknown, expected: number, what: string) => {
            const started = performance.now();
            const res = await driver.send('POST', path, JSON.stringify(body));
            const ms = performance.now() - started;
            if (res.status !== expected) throw new Error(`${backend} ${what}: ${res.status} ${res.body.slice(0, 300)}`);
            type Answer = { reversed?: unknown[]; commissions: Array<{ kind: string; tier: string; status: string; affiliate_id: string }> };
            return { ms, answer: JSON.parse(res.body) as Answer };
          };
          const send = async (affiliate: BenchAffiliate, body: unknown) => {
            const { ms, answer } = await post('/api/v1/events', body, 201, affiliate.username);
            return { ms, commissions: answer.commissions };
          };
          /** A payment by a new customer through the affiliate's code; answers its payment id. */
          const pay = async (affiliate: BenchAffiliate, into: Measured | null) => {
            const n = (eventNo += 1);
            const { ms, commissions } = await send(affiliate, {
              id: `evt_${affiliate.username}_${n}`,
              type: 'payment.succeeded',
              program: PROGRAM,
              customer: { id: `cus_${affiliate.username}_${n}`, email: `buyer${n}.${affiliate.username}@buyer.bench` },
              subscription: { id: `sub_${affiliate.username}_${n}`, interval: 'month' },
              payment: { id: `pay_${affiliate.username}_${n}`, amount: PAYMENT, currency: 'usd', fingerprint: `card_${affiliate.username}_${n}` },
              referral_code: affiliate.code,
            });
            const commission = commissions.find((c) => c.kind === 'direct');
            if (!commission) throw new Error(`${backend} ${affiliate.username}: no direct commission for payment ${n}`);
            into?.latenciesMs.push(ms);
            into?.tiers.add(commission.tier);
            return { paymentId: `pay_${affiliate.username}_${n}`, customerId: `cus_${affiliate.username}_${n}` };
          };
          /** The whole payment refunded: its direct commission must come back reversed. */
          const refund = async (affiliate: BenchAffiliate, paymentId: string, into: Measured | null) => {
            const { ms, commissions } = await send(affiliate, { id: `evt_refund_${paymentId}`, type: 'payment.refunded', program: PROGRAM, payment: { id: paymentId } });
            const commission = commissions.find((c) => c.kind === 'direct');
            if (commission?.status !== 'reversed') throw new Error(`${backend} ${affiliate.username}: refund of ${paymentId} left ${JSON.stringify(commission)}`);
            into?.latenciesMs.push(ms);
            into?.tiers.add(commission.tier);
          };
          /** The customer's subscription credited to `to` (POST /api/v1/customers/{id}/reassign). */
          const reassign = async (customerId: string, to: BenchAffiliate, into: Measured) => {
            const what = `reassign ${customerId} to ${to.username}`;
            const { ms, answer } = await post(`/api/v1/customers/${encodeURIComponent(customerId)}/reassign`, { program: PROGRAM, affiliate_id: to.id, reason: 'bench' }, 200, what);
            const commission = answer.commissions.find((c) => c.kind === 'direct' && c.affiliate_id === to.id);
            if (!commission || !answer.reversed?.length) throw new Error(`${backend} ${what}: ${JSON.stringify(answer).slice(0, 300)}`);
            into.latenciesMs.push(ms);
            into.tiers.add(commission.tier);
          };
          const paid = new Map<BenchAffiliate, string[]>([
            [fresher, []],
            [big, []],
          ]);
          // Warm-up (past the five runs after which a statement may go generic), then the two
          // affiliates alternate so that both see the same server state.
          for (let n = 0; n < 20; n += 1) {
            for (const affiliate of [fresher, big]) await refund(affiliate, (await pay(affiliate, null)).paymentId, null);
          }
          const measured = (kind: Measured['kind']) =>
            new Map<BenchAffiliate, Measured>([
              [fresher, { kind, latenciesMs: [], tiers: new Set() }],
              [big, { kind, latenciesMs: [], tiers: new Set() }],
            ]);
          const paymentTimes = measured('payment');
          for (let n = 0; n < plans.events; n += 1) {
            for (const affiliate of [fresher, big]) paid.get(affiliate)!.push((await pay(affiliate, paymentTimes.get(affiliate)!)).paymentId);
          }
          const refundTimes = measured('refund');
          for (let n = 0; n < plans.refunds; n += 1) {
            for (const affiliate of [fresher, big]) await refund(affiliate, paid.get(affiliate)![n]!, refundTimes.get(affiliate)!);
          }
          // R3.2: a new customer of one affiliate credited to the other by an admin. Into the big
          // seller, their whole book prices the new commission; out of it, their commission is
          // reversed and the new affiliate's priced from their own few sales. Keyed by the
          // affiliate credited, whose tier the new commission must carry.
          const reassignTimes = measured('reassignment to');
          for (let n = 0; n < plans.reassignments; n += 1) {
            for (const [from, to] of [
              [fresher, big],
              [big, fresher],
            ] as const) {
              const { customerId } = await pay(from, null);
              await reassign(customerId, to, reassignTimes.get(to)!);
            }
          }
          driver.close();
          for (const [affiliate, m] of [...paymentTimes, ...refundTimes, ...reassignTimes]) {
            const expected = affiliate === big ? top : 'referral';
            if (m.tiers.size !== 1 || !m.tiers.has(expected)) throw new Error(`${backend} ${affiliate.username}: ${m.kind}s priced at ${[...m.tiers].join(', ')}, expected ${expected}`);
            section.rows.push({
              backend,
              plans: plans.label,
              affiliate: affiliate === big ? `big seller (${SALES.toLocaleString('en')} sales)` : 'new affiliate (baseline)',
              event: `${m.kind} (${m.latenciesMs.length})`,
              'p50 ms': quantile(m.latenciesMs, 0.5),
              'p99 ms': quantile(m.latenciesMs, 0.99),
              'max ms': Math.max(...m.latenciesMs),
              'priced at tier': expected,
            });
          }
        } finally {
          await server.stop();
        }
      }
    } finally {
      await fresh?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  section.notes.push(
    'Each payment is a new customer through the affiliate’s referral code; the answer must name the tier the sales earn. Each refund refunds one of those payments whole; the answer must show its direct commission reversed. Each reassignment (R3.2) credits a new customer of the other affiliate to the one named; the answer must show the old commission reversed and the new one at the named affiliate’s tier. Latency is end to end over HTTP with one client.',
    '“generic plans forced”: the same server restarted on the same database with plan_cache_mode = force_generic_plan set for the database (ALTER DATABASE on PostgreSQL, ALTER SYSTEM in the embedded database’s own directory; checked from a new session before the restart), so every prepared statement of the event path runs on the plan made without its parameters.',
  );
  report.print(section);
}

/** The big seller's sales over the 11 months before now, past their hold, half as many customers, every tenth half refunded. */
async function seedSales(target: Target, affiliate: BenchAffiliate): Promise<void> {
  const database = await openTarget(target);
  try {
    const programId = (await rowsOf<{ id: string }>(database, 'select id from programs where slug = $1', [PROGRAM]))[0]!.id;
    const now = Date.now();
    const span = 300 * DAY_MS;
    const rows = Array.from({ length: SALES }, (_, i) => ({
      programId,
      externalId: `pay_seed_${i}`,
      subscriptionId: `sub_seed_${i}`,
      customerId: `cus_seed_${i % Math.ceil(SALES / 2)}`,
      amount: 4_900,
      currency: 'usd',
      fullPrice: true,
      paidAt: new Date(now - 40 * DAY_MS - Math.floor((span * i) / SALES)),
      saleAffiliateId: affiliate.id,
      recordedAt: new Date(now),
    }));
    await bulkInsert(database, payments, rows);
    const refundRows = rows
      .filter((_, i) => i % 10 === 0)
      .map((row, i) => ({ id: `rfd_seed_${i}`, programId, paymentId: row.externalId, kind: 'refund', amount: 2_450, at: new Date(row.paidAt.getTime() + DAY_MS), createdAt: new Date(now) }));
    await bulkInsert(database, refunds, refundRows);
    // The other sellers' history, generated in SQL: 100 sales each over 500 days, every tenth
    // refunded. Their refunds are what a seller's own were once looked for among.
    const since = new Date(now - 540 * DAY_MS).toISOString();
    await exec(
      database,
      `insert into payments (program_id, external_id, subscription_id, customer_id, amount, currency, full_price, paid_at, sale_affiliate_id, recorded_at)
       select $1, 'pay_other_' || g, 'sub_other_' || g, 'cus_other_' || g, 4900, 'usd', true,
         $2::timestamptz + (g % 500) * interval '1 day', 'aff_other_' || (g % $3::int), $2::timestamptz + interval '540 days'
       from generate_series(1, $4::int) g`,
      [programId, since, OTHER_SELLERS, OTHER_SALES],
    );
    await exec(
      database,
      `insert into refunds (id, program_id, payment_id, kind, amount, at, created_at)
       select 'rfd_other_' || g, $1, 'pay_other_' || g, 'refund', 2450, $2::timestamptz + (g % 500 + 1) * interval '1 day', $2::timestamptz + interval '540 days'
       from generate_series(10, $3::int, 10) g`,
      [programId, since, OTHER_SALES],
    );
    // Vacuumed as a live program's months past would be: the embedded server's own maintenance
    // pass (src/store/maintenance.ts) would otherwise vacuum a million fresh rows on its one
    // thread while the measured requests wait.
    await exec(database, 'vacuum analyze payments');
    await exec(database, 'vacuum analyze refunds');
  } finally {
    await database.close();
  }
}

/**
 * Sets plan_cache_mode for every new session of the target's database, and checks it from one:
 * the server, restarted after, opens its sessions the same way (a PostgreSQL pool's connections,
 * the embedded database's one session).
 */
async function setPlanCacheMode(target: Target, mode: string): Promise<void> {
  let database = await openTarget(target);
  try {
    if (target.backend === 'postgres') {
      // This database's sessions only: the server is shared (other databases, CI).
      const name = (await rowsOf<{ name: string }>(database, 'select current_database() as name'))[0]!.name;
      await exec(database, `alter database "${name.replaceAll('"', '""')}" set plan_cache_mode = '${mode}'`);
    } else {
      // The embedded database ignores per-database settings when it opens, but reads its own
      // postgresql.auto.conf; the data directory is this bench's alone.
      await exec(database, `alter system set plan_cache_mode = '${mode}'`);
    }
  } finally {
    await database.close();
  }
  database = await openTarget(target);
  try {
    const shown = (await rowsOf<{ plan_cache_mode: string }>(database, 'show plan_cache_mode'))[0]!.plan_cache_mode;
    if (shown !== mode) throw new Error(`${target.backend}: plan_cache_mode is ${shown} in a new session, expected ${mode}`);
  } finally {
    await database.close();
  }
}
