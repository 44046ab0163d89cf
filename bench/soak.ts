// `npm run soak`: robustness as measured facts, on PGlite and on PostgreSQL (loopback only,
// bounded loops; SOAK_BACKENDS=pglite,postgres to choose).
//   1. kill -9 the server in the middle of click load (over several links), restart it on the same
//      data: every click answered with a 302 is stored, none twice, and every link's counter
//      (link_click_counts) equals its stored human clicks.
//   2. the same in the middle of event load: every event answered 2xx is stored with its payment,
//      none twice; after the restart every acknowledged event redelivered answers duplicate:true and
//      every event that was in flight at the kill answers 201 or 200 (never 5xx, never a second copy),
//      and each recruit's JV net (recruit_jv_nets) equals the one summed from the ledger.
//   3. 10,000 malformed or hostile requests: fuzzed JSON, huge bodies, SQL and script injection,
//      wrong types, other affiliates' ids (as a signed-in affiliate), path traversal, bad auth.
//      Prints the 5xx count (must be 0) and the row count of every table before and after.
// Exits non-zero when a check fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, createAffiliate, createLinkCodes, createProgram, type BenchAffiliate } from './lib/api.js';
import { openTarget, rowsOf, type Target } from './lib/db.js';
import { CLICK_COUNTS, JV_NETS, projectionCheck } from './lib/projections.js';
import { HttpDriver } from './lib/http-driver.js';
import { createFreshDatabase, postgresAvailable, type FreshDatabase } from './lib/postgres.js';
import { QUICK, Report, type Row } from './lib/report.js';
import { BENCH_API_KEY, startServer, type ServerHandle } from './lib/server.js';
import { EventTraffic, makeClicks } from './events.js';
import { BROWSER_UA } from './redirect.js';
import { hostileRequests } from './lib/hostile.js';
import { buildWeb } from '../scripts/build-web.js';

const LOAD_BEFORE_KILL_MS = QUICK ? 1_500 : 3_000;
const LOAD_AFTER_RESTART_MS = QUICK ? 1_000 : 2_000;
const HOSTILE_REQUESTS = 10_000;
/** The click load requests this many affiliates' links in turn, so batches update several counter rows. */
const CLICK_LINKS = 10;

/** A server on its own data (a temp dir, or a fresh PostgreSQL database) that can be killed and restarted. */
class Subject {
  server: ServerHandle | null = null;
  private constructor(
    readonly target: Target,
    private readonly fresh: FreshDatabase | null,
  ) {}

  static async create(backend: 'pglite' | 'postgres', label: string): Promise<Subject> {
    const fresh = backend === 'postgres' ? await createFreshDatabase(label) : null;
    const dataDir = mkdtempSync(join(tmpdir(), `affable-soak-${label}-`));
    const subject = new Subject({ backend, dataDir, databaseUrl: fresh?.url }, fresh);
    await subject.start();
    return subject;
  }

  async start(port?: number): Promise<ServerHandle> {
    this.server = await startServer({ dataDir: this.target.dataDir, databaseUrl: this.target.databaseUrl, port });
    return this.server;
  }

  /** Query the data: PostgreSQL directly, PGlite after a graceful stop (one process owns its files). */
  async inspect<T>(read: (rows: <R>(text: string, params?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
    if (this.target.backend === 'pglite' && this.server) {
      await this.server.stop();
      this.server = null;
    }
    const database = await openTarget(this.target);
    try {
      return await read((text, params) => rowsOf(database, text, params));
    } finally {
      await database.close();
    }
  }

  async dispose(): Promise<void> {
    await this.server?.kill();
    await this.fresh?.drop();
    rmSync(this.target.dataDir, { recursive: true, force: true });
  }
}

/** Runs `send` in `concurrency` loops until `stop()` says so; each loop awaits its own request. */
async function loop(concurrency: number, stop: () => boolean, send: () => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (!stop()) await send();
  }));
}

async function killDuringClicks(backend: 'pglite' | 'postgres'): Promise<Row> {
  const subject = await Subject.create(backend, 'clicks');
  try {
    const server = subject.server!;
    const api = new Api(server.url);
    await createProgram(api, 'soak');
    const codes = await createLinkCodes(api, 'soak', 'clicker', CLICK_LINKS);
    let next = 0;
    const acknowledged: string[] = [];
    let failed = 0;
    let other = 0;
    const click = async (driver: HttpDriver) => {
      try {
        const res = await driver.send('GET', `/r/${codes[next++ % codes.length]!}`, undefined, { 'user-agent': BROWSER_UA }, 5_000);
        const id = res.status === 302 ? /[?&]aff_click=([^&]+)/.exec(String(res.headers['location']))?.[1] : undefined;
        if (id) acknowledged.push(id);
        else other += 1;
      } catch {
        failed += 1; // the connection died with the server: not acknowledged
      }
    };
    let driver = new HttpDriver(server.url, 20);
    let killed = false;
    const load = loop(20, () => killed, () => click(driver));
    await new Promise((r) => setTimeout(r, LOAD_BEFORE_KILL_MS));
    await server.kill();
    killed = true;
    await load;
    driver.close();
    const beforeKill = acknowledged.length;
    const restarted = await subject.start(server.port);
    driver = new HttpDriver(restarted.url, 20);
    const until = performance.now() + LOAD_AFTER_RESTART_MS;
    await loop(20, () => performance.now() > until, () => click(driver));
    driver.close();
    const stored = await subject.inspect(async (rows) => ({
      ids: new Set((await rows<{ id: string }>('select id from clicks')).map((r) => r.id)),
      copies: Number((await rows<{ n: string }>('select count(*) - count(distinct id) as n from clicks'))[0]!.n),
      counters: await projectionCheck(rows, CLICK_COUNTS),
    }));
    const lost = acknowledged.filter((id) => !stored.ids.has(id)).length;
    return {
      backend,
      load: `clicks (20 connections, ${CLICK_LINKS} links)`,
      'acked before kill': beforeKill,
      'acked after restart': acknowledged.length - beforeKill,
      'failed at kill': failed,
      'non-302': other,
      'rows stored': stored.ids.size,
      lost,
      duplicates: stored.copies,
      'projection rows off': `${stored.counters.off} of ${stored.counters.rows} link counters`,
      verdict: lost === 0 && stored.copies === 0 && other === 0 && stored.counters.rows === CLICK_LINKS && stored.counters.off === 0 ? 'ok' : 'FAIL',
    };
  } finally {
    await subject.dispose();
  }
}

async function killDuringEvents(backend: 'pglite' | 'postgres'): Promise<Row> {
  const subject = await Subject.create(backend, 'events');
  try {
    const server = subject.server!;
    const api = new Api(server.url);
    await createProgram(api, 'bench');
    const affiliates: BenchAffiliate[] = [];
    for (let i = 0; i < 10; i += 1) affiliates.push(await createAffiliate(api, 'bench', `seller${i}`, i % 5 === 4 ? { recruited_by: `seller${i - 1}` } : {}));
    const clicks = await makeClicks(server.url, affiliates.map((a) => a.code), 2_000);
    const traffic = new EventTraffic('soak', clicks, affiliates, 13);
    const inFlightAtKill = new Map<string, string>();
    let failed = 0;
    let refused = 0;
    const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
    let driver = new HttpDriver(server.url, 16, auth);
    const post = async () => {
      const event = traffic.next();
      try {
        const res = await driver.send('POST', '/api/v1/events', event.body, {}, 10_000);
        if (res.status === 200 || res.status === 201) event.onAcknowledged();
        else refused += 1;
      } catch {
        failed += 1;
        if (event.kind !== 'duplicate') inFlightAtKill.set(event.id, event.body);
      }
    };
    let killed = false;
    const load = loop(16, () => killed, post);
    await new Promise((r) => setTimeout(r, LOAD_BEFORE_KILL_MS));
    await server.kill();
    killed = true;
    await load;
    driver.close();
    const beforeKill = traffic.acknowledged.size;
    const restarted = await subject.start(server.port);
    driver = new HttpDriver(restarted.url, 16, auth);
    // Redeliver what was in flight at the kill: stored or not, the answer is 201 or a duplicate.
    const redelivered = { created: 0, duplicate: 0, other: 0 };
    for (const [id, body] of inFlightAtKill) {
      const res = await driver.send('POST', '/api/v1/events', body);
      if (res.status === 201) redelivered.created += 1;
      else if (res.status === 200 && (JSON.parse(res.body) as { duplicate: boolean }).duplicate) redelivered.duplicate += 1;
      else redelivered.other += 1;
      if (res.status === 200 || res.status === 201) traffic.acknowledged.add(id);
    }
    const until = performance.now() + LOAD_AFTER_RESTART_MS;
    await loop(16, () => performance.now() > until, post);
    // Every acknowledged event, delivered again, is a duplicate (bounded: the first 3,000).
    const replays = traffic.answered.slice(0, 3_000);
    let replayOk = 0;
    for (const { body } of replays) {
      const res = await driver.send('POST', '/api/v1/events', body);
      if (res.status === 200 && (JSON.parse(res.body) as { duplicate: boolean }).duplicate) replayOk += 1;
    }
    driver.close();
    const acknowledged = [...traffic.acknowledged];
    const stored = await subject.inspect(async (rows) => ({
      events: new Set((await rows<{ external_id: string }>('select external_id from events')).map((r) => r.external_id)),
      payments: new Set((await rows<{ external_id: string }>('select external_id from payments')).map((r) => r.external_id)),
      // A second copy of an event's effects would be a second commission of the same kind on a payment.
      doubled: Number((await rows<{ n: string }>('select count(*) as n from (select 1 from commissions group by payment_id, kind, affiliate_id having count(*) > 1) d'))[0]!.n),
      doubledEarn: Number((await rows<{ n: string }>("select count(*) as n from (select 1 from ledger_entries where type = 'earn' group by commission_id having count(*) > 1) d"))[0]!.n),
      jvNets: await projectionCheck(rows, JV_NETS),
    }));
    const lost = acknowledged.filter((id) => !stored.events.has(id)).length;
    const lostPayments = [...traffic.acknowledgedPayments].filter((id) => !stored.payments.has(id)).length;
    // Two of the ten sellers are recruited, so the load earns JV commissions: no JV net at all fails too.
    const ok =
      lost === 0 && lostPayments === 0 && stored.doubled === 0 && stored.doubledEarn === 0 && redelivered.other === 0 && replayOk === replays.length && refused === 0 && stored.jvNets.rows > 0 && stored.jvNets.off === 0;
    return {
      backend,
      load: 'events (16 clients)',
      'acked before kill': beforeKill,
      'acked after restart': acknowledged.length - beforeKill,
      'failed at kill': failed,
      'in flight, resent: 201 / dup / other': `${redelivered.created} / ${redelivered.duplicate} / ${redelivered.other}`,
      'acked replayed → duplicate': `${replayOk} of ${replays.length}`,
      'non-2xx': refused,
      'rows stored': stored.events.size,
      lost: lost + lostPayments,
      duplicates: stored.doubled + stored.doubledEarn,
      'projection rows off': `${stored.jvNets.off} of ${stored.jvNets.rows} JV nets`,
      verdict: ok ? 'ok' : 'FAIL',
    };
  } finally {
    await subject.dispose();
  }
}

async function hostile(backend: 'pglite' | 'postgres'): Promise<{ summary: Row; byCategory: Row[]; tables: Row[]; fiveHundreds: string[] }> {
  const subject = await Subject.create(backend, 'hostile');
  try {
    const server = subject.server!;
    const api = new Api(server.url);
    await createProgram(api, 'soak');
    await createProgram(api, 'other');
    const victim = await createAffiliate(api, 'soak', 'victim');
    const attacker = await createAffiliate(api, 'soak', 'attacker', { password: 'attacker-password-1' });
    const otherProgram = await createAffiliate(api, 'other', 'elsewhere');
    const login = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'attacker', password: 'attacker-password-1' }) });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = ((await login.json()) as { csrf_token?: string }).csrf_token ?? '';

    const tables = async () => subject.inspect(async (rows) => {
      const names = (await rows<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public' order by tablename")).map((r) => r.tablename);
      const counts: Record<string, number> = {};
      for (const name of names) counts[name] = Number((await rows<{ n: string }>(`select count(*) as n from "${name}"`))[0]!.n);
      return counts;
    });
    let live = server;
    const countsBefore = await tables();
    if (!subject.server) live = await subject.start(server.port);

    const requests = hostileRequests(HOSTILE_REQUESTS, { apiKey: BENCH_API_KEY, program: 'soak', otherProgram: 'other', victim, attacker, otherProgramAffiliate: otherProgram, cookie, csrf });
    const driver = new HttpDriver(live.url, 8);
    const byCategory = new Map<string, Map<string, number>>();
    const fiveHundreds: string[] = [];
    const leaks: string[] = [];
    let index = 0;
    await loop(8, () => index >= requests.length, async () => {
      const request = requests[index++]!;
      let status = 'error';
      try {
        const res = await driver.send(request.method, request.path, request.body, request.headers, 15_000);
        status = res.status >= 500 ? '5xx' : res.status >= 400 ? '4xx' : res.status >= 300 ? '3xx' : '2xx';
        if (res.status >= 500 && fiveHundreds.length < 20) fiveHundreds.push(`${request.category} ${request.method} ${request.path.slice(0, 80)} → ${res.status} ${res.body.slice(0, 160)}`);
        if (/"name":\s*"affable"|root:x:0:0|BEGIN (RSA|OPENSSH) PRIVATE KEY/.test(res.body) && leaks.length < 5) leaks.push(`${request.category} ${request.path}`);
      } catch (error) {
        if (fiveHundreds.length < 20) fiveHundreds.push(`${request.category} ${request.method} ${request.path.slice(0, 80)} → ${String(error)}`);
      }
      const counts = byCategory.get(request.category) ?? new Map<string, number>();
      counts.set(status, (counts.get(status) ?? 0) + 1);
      byCategory.set(request.category, counts);
    });
    driver.close();
    // The server must still answer, and be the same server (no crash and restart in between).
    const alive = (await fetch(`${live.url}/readyz`)).status === 200 && live.child.exitCode === null;
    const countsAfter = await tables();
    const changed = Object.keys(countsBefore).filter((t) => countsBefore[t] !== countsAfter[t]);
    const total = (status: string) => [...byCategory.values()].reduce((sum, m) => sum + (m.get(status) ?? 0), 0);
    return {
      summary: {
        backend,
        requests: requests.length,
        '2xx': total('2xx'),
        '3xx': total('3xx'),
        '4xx': total('4xx'),
        '5xx': total('5xx'),
        'socket errors': total('error'),
        'tables changed': changed.length === 0 ? 'none' : changed.map((t) => `${t} ${countsBefore[t]}→${countsAfter[t]}`).join(', '),
        'file contents leaked': leaks.length,
        'server alive after': alive,
        verdict: total('5xx') === 0 && total('error') === 0 && changed.length === 0 && leaks.length === 0 && alive ? 'ok' : 'FAIL',
      },
      byCategory: [...byCategory].map(([category, counts]) => ({ backend, category, ...Object.fromEntries([...counts].sort()) })),
      tables: Object.keys(countsBefore).map((t) => ({ backend, table: t, before: countsBefore[t], after: countsAfter[t] })),
      fiveHundreds: [...fiveHundreds, ...leaks.map((l) => `leak: ${l}`)],
    };
  } finally {
    await subject.dispose();
  }
}

// The server under test is the one `npm start` runs: with its web UI built (without it, UI paths
// answer 503 "not built", which would count as 5xx here).
await buildWeb({ ifStale: true, quiet: true });

let backends = (process.env['SOAK_BACKENDS'] ?? 'pglite,postgres').split(',').map((s) => s.trim()) as Array<'pglite' | 'postgres'>;
if (backends.includes('postgres') && !(await postgresAvailable())) {
  console.log('PostgreSQL is not reachable: PostgreSQL runs are skipped.');
  backends = backends.filter((b) => b !== 'postgres');
}
const report = new Report();
const crash = report.section('kill -9 during load, restart on the same data');
const attack = report.section(`${HOSTILE_REQUESTS} malformed or hostile requests`);
const categories = report.section('hostile requests by category (response classes)');
const tableCounts = report.section('row counts before / after the hostile requests');
for (const backend of backends) {
  console.log(`\n${backend}: kill -9 during clicks …`);
  crash.rows.push(await killDuringClicks(backend));
  console.log(`${backend}: kill -9 during events …`);
  crash.rows.push(await killDuringEvents(backend));
  console.log(`${backend}: hostile requests …`);
  const result = await hostile(backend);
  attack.rows.push(result.summary);
  categories.rows.push(...result.byCategory);
  tableCounts.rows.push(...result.tables);
  for (const line of result.fiveHundreds) attack.notes.push(`${backend}: ${line}`);
}
crash.notes.push('acked = answered 302 (clicks) or 2xx (events) before the kill or after the restart; lost = acked but not in the database; duplicates = a click id or an event effect stored twice; projection rows off = rows of a table a trigger keeps (link_click_counts, recruit_jv_nets) that differ from the same figure summed from the clicks or the ledger after the restart.');
attack.notes.push('Every request is one the API must refuse (4xx) or answer without writing; the tables are counted after a graceful stop on PGlite, directly on PostgreSQL.');
for (const section of [crash, attack, categories, tableCounts]) report.print(section);
const path = report.write('soak');
console.log(`\nWrote ${path}`);
const failed = [...crash.rows, ...attack.rows].some((row) => row['verdict'] !== 'ok');
if (failed) {
  console.log('\nSOAK FAILED: see the verdict columns.');
  process.exitCode = 1;
}
