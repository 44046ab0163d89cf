// Bench 2: billing events per second end to end over HTTP (POST /api/v1/events) with a realistic
// mix: new customers arriving through clicks, rebills of known subscriptions, refunds, and 10%
// redeliveries of events already answered. Beside it, a bare node:http server that parses the same
// JSON and answers 201 (the HTTP ceiling of this machine and driver). After each run the database
// must hold exactly one row per event id acknowledged, and none other.
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, createAffiliate, createProgram, type BenchAffiliate } from './lib/api.js';
import { countOf, openTarget, rowsOf, type Target } from './lib/db.js';
import { HttpDriver, runClosedLoop } from './lib/http-driver.js';
import { createFreshDatabase } from './lib/postgres.js';
import { mib, QUICK, quantile, type Report } from './lib/report.js';
import { BENCH_API_KEY, cpuMeter, startServer, type ServerHandle } from './lib/server.js';
import { BROWSER_UA, cpuCells } from './redirect.js';
import { prng } from '../test/support/random.js';

const CONCURRENCY = 32;
const DURATION_S = QUICK ? 3 : 10;
const WARMUP_S = QUICK ? 1 : 2;
const AFFILIATES = QUICK ? 20 : 100;
const CLICKS = QUICK ? 3_000 : 12_000;
const PROGRAM = 'bench';

type Kind = 'new_customer' | 'rebill' | 'refund' | 'duplicate';
const MIX: Array<[Kind, number]> = [
  ['new_customer', 0.4],
  ['rebill', 0.4],
  ['refund', 0.1],
  ['duplicate', 0.1],
];

interface Subscription {
  sub: string;
  customer: string;
  email: string;
  interval: 'month' | 'year';
}

/** What the traffic generator knows: only what the server acknowledged. */
export class EventTraffic {
  readonly subscriptions: Subscription[] = [];
  readonly refundable: string[] = [];
  readonly answered: Array<{ id: string; body: string }> = [];
  /** Every event id answered 2xx (first deliveries and redeliveries). */
  readonly acknowledged = new Set<string>();
  /** Payment ids whose payment.succeeded was acknowledged. */
  readonly acknowledgedPayments = new Set<string>();
  private counter = 0;
  private readonly random: () => number;

  constructor(
    private readonly tag: string,
    private readonly clicks: string[],
    private readonly affiliates: BenchAffiliate[],
    seed = 7,
  ) {
    this.random = prng(seed);
  }

  private pickKind(): Kind {
    let roll = this.random();
    for (const [kind, weight] of MIX) {
      if (roll < weight) return kind;
      roll -= weight;
    }
    return 'new_customer';
  }

  /** The next event to send, given what has been acknowledged so far. */
  next(): { kind: Kind; id: string; body: string; onAcknowledged: () => void } {
    let kind = this.pickKind();
    if (kind === 'rebill' && this.subscriptions.length === 0) kind = 'new_customer';
    if (kind === 'refund' && this.refundable.length === 0) kind = 'new_customer';
    if (kind === 'duplicate' && this.answered.length === 0) kind = 'new_customer';
    this.counter += 1;
    const n = this.counter;
    if (kind === 'duplicate') {
      const first = this.answered[Math.floor(this.random() * this.answered.length)]!;
      return { kind, id: first.id, body: first.body, onAcknowledged: () => undefined };
    }
    const id = `evt_${this.tag}_${n}`;
    if (kind === 'refund') {
      const index = Math.floor(this.random() * this.refundable.length);
      const paymentId = this.refundable[index]!;
      this.refundable[index] = this.refundable[this.refundable.length - 1]!;
      this.refundable.pop();
      const body = JSON.stringify({ id, type: 'payment.refunded', program: PROGRAM, payment: { id: paymentId } });
      return { kind, id, body, onAcknowledged: () => this.remember(id, body) };
    }
    const paymentId = `pay_${this.tag}_${n}`;
    const amount = 4_900 + Math.floor(this.random() * 6) * 1_000;
    if (kind === 'rebill') {
      const s = this.subscriptions[Math.floor(this.random() * this.subscriptions.length)]!;
      const body = JSON.stringify({
        id,
        type: 'payment.succeeded',
        program: PROGRAM,
        customer: { id: s.customer, email: s.email },
        subscription: { id: s.sub, interval: s.interval },
        payment: { id: paymentId, amount, currency: 'usd', fingerprint: `card_${s.customer}` },
      });
      return {
        kind,
        id,
        body,
        onAcknowledged: () => {
          this.remember(id, body);
          this.acknowledgedPayments.add(paymentId);
          if (this.random() < 0.25) this.refundable.push(paymentId);
        },
      };
    }
    const customer = `cus_${this.tag}_${n}`;
    const sub: Subscription = { sub: `sub_${this.tag}_${n}`, customer, email: `${customer}@buyer.bench`, interval: this.random() < 0.8 ? 'month' : 'year' };
    const click = this.clicks.pop();
    const attribution = click ? { click_id: click } : { referral_code: this.affiliates[Math.floor(this.random() * this.affiliates.length)]!.code };
    const body = JSON.stringify({
      id,
      type: 'payment.succeeded',
      program: PROGRAM,
      customer: { id: customer, email: sub.email },
      subscription: { id: sub.sub, interval: sub.interval },
      payment: { id: paymentId, amount, currency: 'usd', fingerprint: `card_${customer}` },
      ...attribution,
    });
    return {
      kind,
      id,
      body,
      onAcknowledged: () => {
        this.remember(id, body);
        this.subscriptions.push(sub);
        this.acknowledgedPayments.add(paymentId);
        if (this.random() < 0.25) this.refundable.push(paymentId);
      },
    };
  }

  private remember(id: string, body: string): void {
    this.acknowledged.add(id);
    if (this.answered.length < 20_000) this.answered.push({ id, body });
    else this.answered[Math.floor(this.random() * this.answered.length)] = { id, body };
  }
}

interface KindStats {
  latenciesMs: number[];
  statuses: Map<number, number>;
}

export interface EventLoad {
  seconds: number;
  total: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  duplicates: number;
  failures: number;
  failureSample: string[];
  byKind: Map<Kind, KindStats>;
}

/** Sends the traffic's events in a closed loop for `seconds`. */
export async function driveEvents(driver: HttpDriver, traffic: EventTraffic, seconds: number, concurrency = CONCURRENCY): Promise<EventLoad> {
  const byKind = new Map<Kind, KindStats>();
  const all: number[] = [];
  let ok = 0;
  let duplicates = 0;
  let failures = 0;
  const failureSample: string[] = [];
  const elapsed = await runClosedLoop(concurrency, seconds, async () => {
    const event = traffic.next();
    const started = performance.now();
    let status = 0;
    let text: string;
    try {
      const res = await driver.send('POST', '/api/v1/events', event.body);
      status = res.status;
      text = res.body;
    } catch (error) {
      text = String(error);
    }
    const ms = performance.now() - started;
    all.push(ms);
    const stats: KindStats = byKind.get(event.kind) ?? { latenciesMs: [], statuses: new Map<number, number>() };
    stats.latenciesMs.push(ms);
    stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
    byKind.set(event.kind, stats);
    if (status === 200 || status === 201) {
      ok += 1;
      if (status === 200) duplicates += 1;
      event.onAcknowledged();
    } else {
      failures += 1;
      if (failureSample.length < 5) failureSample.push(`${event.kind} ${status}: ${text.slice(0, 200)}`);
    }
  });
  return { seconds: elapsed, total: all.length, perSecond: all.length / elapsed, p50Ms: quantile(all, 0.5), p99Ms: quantile(all, 0.99), ok, duplicates, failures, failureSample, byKind };
}

/** Clicks through the real redirect, spread over the affiliates' codes; returns the click ids. */
export async function makeClicks(baseUrl: string, codes: string[], amount: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await autocannon({
    url: baseUrl,
    connections: 20,
    amount,
    headers: { 'user-agent': BROWSER_UA },
    requests: [
      {
        method: 'GET',
        setupRequest: (request: autocannon.Request) => {
          next += 1;
          return { ...request, path: `/r/${codes[next % codes.length]}` };
        },
        onResponse: (status: number, _body: string, _context: unknown, headers?: Record<string, string | string[]>) => {
          const location = headers?.['location'];
          const match = status === 302 && typeof location === 'string' ? /[?&]aff_click=([^&]+)/.exec(location) : null;
          if (match) ids.push(match[1]!);
        },
      } as autocannon.Request,
    ],
  });
  return ids;
}

/** A program with affiliates (a fifth recruited, R6) and a pool of clicks, through the API. */
export async function setUpEventProgram(api: Api, baseUrl: string, affiliateCount = AFFILIATES, clickCount = CLICKS): Promise<{ affiliates: BenchAffiliate[]; clicks: string[] }> {
  await createProgram(api, PROGRAM);
  const affiliates: BenchAffiliate[] = [];
  for (let index = 0; index < affiliateCount; index += 1) {
    const recruiter = index % 5 === 4 ? affiliates[index - 1] : undefined;
    affiliates.push(await createAffiliate(api, PROGRAM, `seller${index}`, recruiter ? { recruited_by: recruiter.username } : {}));
  }
  const clicks = await makeClicks(baseUrl, affiliates.map((a) => a.code), clickCount);
  // Shuffle so that new customers arrive through all affiliates at once.
  const random = prng(11);
  for (let i = clicks.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [clicks[i], clicks[j]] = [clicks[j]!, clicks[i]!];
  }
  return { affiliates, clicks };
}

export async function eventsBench(report: Report, backends: Array<'pglite' | 'postgres'>): Promise<void> {
  const section = report.section(`Events POST /api/v1/events: ${CONCURRENCY} concurrent clients, ${DURATION_S} s (after ${WARMUP_S} s warm-up); mix 40% new customers with clicks, 40% rebills, 10% refunds, 10% redeliveries`);
  for (const backend of backends) {
    const bareDir = mkdtempSync(join(tmpdir(), 'affable-bench-bare-'));
    const bare = await startServer({ script: 'bench/bare-server.ts', dataDir: bareDir });
    let bareLoad: EventLoad;
    try {
      const driver = new HttpDriver(bare.url, CONCURRENCY);
      const traffic = new EventTraffic('bare', [], [{ id: 'aff_x', username: 'x', code: 'code', jv: 'jv' }]);
      await driveEvents(driver, traffic, WARMUP_S);
      bareLoad = await driveEvents(driver, traffic, DURATION_S);
      driver.close();
    } finally {
      await bare.stop();
      rmSync(bareDir, { recursive: true, force: true });
    }
    section.rows.push({ backend, server: 'bare node:http (parse JSON, answer 201)', 'events/s': bareLoad.perSecond, 'p50 ms': bareLoad.p50Ms, 'p99 ms': bareLoad.p99Ms, 'ratio to bare': 1 });

    const run = await runAffable(backend);
    const load = run.load;
    section.rows.push({
      backend,
      server: 'Affable',
      'events/s': load.perSecond,
      'p50 ms': load.p50Ms,
      'p99 ms': load.p99Ms,
      'ratio to bare': load.perSecond / bareLoad.perSecond,
      ...cpuCells(run.cpu),
      'peak RSS MiB': mib(run.peakRss),
      '2xx': load.ok,
      'of them duplicate:true': load.duplicates,
      'non-2xx': load.failures,
      'event rows == ids acked': `${run.eventRows} == ${run.acknowledged}`,
      'payment rows == acked': `${run.paymentRows} == ${run.acknowledgedPayments}`,
    });
    for (const [kind, stats] of load.byKind) {
      section.rows.push({
        backend,
        server: `  ${kind}`,
        'events/s': stats.latenciesMs.length / load.seconds,
        'p50 ms': quantile(stats.latenciesMs, 0.5),
        'p99 ms': quantile(stats.latenciesMs, 0.99),
        '2xx': [...stats.statuses].filter(([s]) => s === 200 || s === 201).reduce((sum, [, n]) => sum + n, 0),
        'non-2xx': [...stats.statuses].filter(([s]) => s !== 200 && s !== 201).reduce((sum, [, n]) => sum + n, 0),
      });
    }
    if (load.failureSample.length > 0) section.notes.push(`${backend} failures, first ${load.failureSample.length}: ${load.failureSample.join(' | ')}`);
    if (run.eventRows !== run.acknowledged || run.paymentRows !== run.acknowledgedPayments) {
      throw new Error(`${backend}: stored rows do not match acknowledged events (events ${run.eventRows} vs ${run.acknowledged}, payments ${run.paymentRows} vs ${run.acknowledgedPayments})`);
    }
    section.notes.push(`${backend}: ${run.clicksUsed} new customers arrived with a click id from ${run.clicksMade} clicks made through /r/ beforehand; ${run.affiliates} affiliates, a fifth recruited (JV commissions).`);
  }
  section.notes.push('Statistics: PostgreSQL is analyzed after the warm-up, as autovacuum would have by then; the PGlite server runs its own autovacuum pass every 10 s (src/store/maintenance.ts).');
  section.notes.push('Targets: 2,000 events/s on PostgreSQL, 500 events/s on PGlite. Rows are counted after the run: one event row per distinct event id answered 2xx, one payment row per payment acknowledged.');
  report.print(section);
}

async function runAffable(backend: 'pglite' | 'postgres') {
  const dataDir = mkdtempSync(join(tmpdir(), 'affable-bench-events-'));
  const fresh = backend === 'postgres' ? await createFreshDatabase('events') : null;
  const target: Target = { backend, dataDir, databaseUrl: fresh?.url };
  let server: ServerHandle | null = null;
  try {
    server = await startServer({ dataDir, databaseUrl: fresh?.url, cpuProfDir: process.env['BENCH_CPU_PROF_DIR'], env: { AFFABLE_VACUUM_INTERVAL_SECONDS: '10' } });
    const api = new Api(server.url);
    const { affiliates, clicks } = await setUpEventProgram(api, server.url);
    const clicksMade = clicks.length;
    const driver = new HttpDriver(server.url, CONCURRENCY, { authorization: `Bearer ${BENCH_API_KEY}` });
    const traffic = new EventTraffic(backend, clicks, affiliates);
    await driveEvents(driver, traffic, WARMUP_S);
    // Statistics as a database that has been running a while has them: the tables were empty
    // when the run began, and the plans of a prepared statement follow the statistics (with the
    // empty-table ones, the facts query scanned a program's payments by the wrong index: +15%
    // events/s once analyzed, in quick runs). PostgreSQL: what autovacuum would have run by now.
    // PGlite: the server's own autovacuum (src/store/maintenance.ts), every 10 s here instead of
    // every minute, so that its passes run during the setup and the measured run alike.
    if (fresh) {
      const database = await openTarget(target);
      try {
        await rowsOf(database, 'analyze');
      } finally {
        await database.close();
      }
    }
    server.resetPeakRss();
    const meter = cpuMeter(server.pid);
    const load = await driveEvents(driver, traffic, DURATION_S);
    const cpu = meter();
    const peakRss = server.peakRssBytes();
    driver.close();
    await server.stop();
    server = null;
    const database = await openTarget(target);
    try {
      const eventRows = await countOf(database, 'select count(*) as n from events');
      const paymentRows = await countOf(database, 'select count(*) as n from payments');
      return {
        load,
        cpu,
        peakRss,
        eventRows,
        acknowledged: traffic.acknowledged.size,
        paymentRows,
        acknowledgedPayments: traffic.acknowledgedPayments.size,
        clicksMade,
        clicksUsed: clicksMade - clicks.length,
        affiliates: affiliates.length,
      };
    } finally {
      await database.close();
    }
  } finally {
    await server?.kill();
    await fresh?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
