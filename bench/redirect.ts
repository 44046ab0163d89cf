// Bench 1: the click redirect GET /r/{code} under autocannon (50 connections), beside a bare
// node:http server answering the same 302 with the same Set-Cookie. After each run every click id
// the load generator saw in a 302 must be in the database (committed before its 302).
// Two loads on Affable: every click on one link (every batch updates the same one counter row of
// link_click_counts), and clicks spread over LINKS links in turn, as a live program's are (a batch
// updates a counter row per link it holds).
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, createLinkCodes, createProgram } from './lib/api.js';
import { openTarget, rowsOf, type Target } from './lib/db.js';
import { CLICK_COUNTS, projectionCheck } from './lib/projections.js';
import { createFreshDatabase } from './lib/postgres.js';
import { mib, QUICK, type Report } from './lib/report.js';
import { cpuMeter, startServer, type CpuSample, type ServerHandle } from './lib/server.js';

export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const CONNECTIONS = 50;
const DURATION_S = QUICK ? 3 : 10;
const WARMUP_S = QUICK ? 1 : 3;
/** The spread load's links: one main link each of this many affiliates. */
const LINKS = 200;

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  status3xx: number;
  /** Anything that is not a 3xx: 1xx, 2xx, 4xx, 5xx, socket errors, timeouts. */
  other: number;
  clickIds: Set<string>;
}

/**
 * Drives `paths` of the server at `base` (in turn, when there are several) for `seconds`,
 * collecting the click id of every 302 answered.
 */
export async function driveRedirect(base: string, paths: readonly string[], seconds: number, clickIds = new Set<string>()): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url: `${base}${paths[0]!}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'user-agent': BROWSER_UA },
    requests: [
      {
        method: 'GET',
        ...(paths.length > 1 ? { setupRequest: (request: autocannon.Request) => ({ ...request, path: paths[next++ % paths.length]! }) } : {}),
        onResponse: (status: number, _body: string, _context: unknown, headers?: Record<string, string | string[]>) => {
          if (status !== 302 || !headers) return;
          const location = headers['location'];
          const match = typeof location === 'string' ? /[?&]aff_click=([^&]+)/.exec(location) : null;
          if (match) clickIds.add(match[1]!);
        },
      } as autocannon.Request,
    ],
  });
  const other = result['1xx'] + result['2xx'] + result['4xx'] + result['5xx'] + result.errors + result.timeouts;
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    status3xx: result['3xx'],
    other,
    clickIds,
  };
}

export async function redirectBench(report: Report, backends: Array<'pglite' | 'postgres'>): Promise<void> {
  const section = report.section(`Redirect GET /r/{code}: autocannon, ${CONNECTIONS} connections, ${DURATION_S} s (after ${WARMUP_S} s warm-up)`);
  for (const backend of backends) {
    for (const links of [1, LINKS]) {
      // The bare server gets the same load (it answers any code alike): spreading the requests costs
      // the load generator CPU, on the same two cores, and both sides pay it.
      const load = links === 1 ? 'one link' : `${links} links`;
      const bare = await runBare(links);
      section.rows.push({
        backend,
        server: `bare node:http, ${load}`,
        ...runCells(bare, bare.load),
        'clicks stored': null,
        'lost': null,
        'counter rows off': null,
      });
      const affable = await runAffable(backend, links);
      const server = `Affable, ${load}`;
      section.rows.push({
        backend,
        server,
        ...runCells(affable, bare.load),
        'clicks stored': affable.stored,
        'lost': affable.lost,
        'counter rows off': `${affable.counters.off} of ${affable.counters.rows}`,
      });
      if (affable.lost !== 0) throw new Error(`${backend}, ${server}: ${affable.lost} clicks answered with a 302 are not in the database`);
      if (affable.counters.off !== 0) throw new Error(`${backend}, ${server}: ${affable.counters.off} links' click counters differ from their stored clicks`);
      section.notes.push(
        `${backend}, ${server}: every one of the ${affable.answered} click ids answered with a 302 (warm-up included) is in the database; ${affable.stored - affable.answered} more were stored whose 302 was still in flight when the load generator stopped (≤ ${CONNECTIONS} per phase).`,
      );
    }
  }
  section.notes.push(
    `Loads: every click on one link, whose per-link counter row every batch updates; and clicks on ${LINKS} links in turn, as a live program spreads them, where a batch updates a counter row per link it holds (drizzle/0003).`,
  );
  section.notes.push('Counter rows off: rows of link_click_counts that differ from the human clicks stored for their link, after the run (of the rows it holds).');
  section.notes.push(`Cores: CPU time per wall second of the server process, of all postgres processes and of the load generator (this bench process); the machine has ${availableParallelism()}.`);
  section.notes.push('Target: Affable ≥ 0.5 × bare, p99 ≤ 20 ms, every click committed before its 302 (group commit).');
  report.print(section);
}

/** What a measured run of either server gives. */
interface Run {
  load: LoadResult;
  cpu: CpuSample;
  peakRss: number | null;
}

/** A run's cells of the table, its ratio taken to `bare` (the same load on the bare server). */
function runCells(run: Run, bare: LoadResult): Record<string, number | null> {
  return {
    'req/s': run.load.requestsPerSecond,
    'p50 ms': run.load.p50Ms,
    'p99 ms': run.load.p99Ms,
    'peak RSS MiB': mib(run.peakRss),
    'ratio to bare': run.load.requestsPerSecond / bare.requestsPerSecond,
    ...cpuCells(run.cpu),
    '302s': run.load.status3xx,
    'non-3xx': run.load.other,
  };
}

/** The bare server under the same load as Affable's run with `links` links. */
async function runBare(links: number): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'affable-bench-bare-'));
  const bare = await startServer({ script: 'bench/bare-server.ts', dataDir });
  try {
    const paths = Array.from({ length: links }, (_, i) => `/r/bench${i}`);
    await driveRedirect(bare.url, paths, WARMUP_S);
    bare.resetPeakRss();
    const meter = cpuMeter(bare.pid);
    const load = await driveRedirect(bare.url, paths, DURATION_S);
    return { load, cpu: meter(), peakRss: bare.peakRssBytes() };
  } finally {
    await bare.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runAffable(
  backend: 'pglite' | 'postgres',
  links: number,
): Promise<Run & { stored: number; answered: number; lost: number; counters: { rows: number; off: number } }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'affable-bench-redirect-'));
  const fresh = backend === 'postgres' ? await createFreshDatabase('redirect') : null;
  const target: Target = { backend, dataDir, databaseUrl: fresh?.url };
  let server: ServerHandle | null = null;
  try {
    server = await startServer({ dataDir, databaseUrl: fresh?.url, cpuProfDir: process.env['BENCH_CPU_PROF_DIR'] });
    const api = new Api(server.url);
    await createProgram(api, 'bench');
    const paths = (await createLinkCodes(api, 'bench', 'clicker', links)).map((code) => `/r/${code}`);
    const clickIds = new Set<string>();
    await driveRedirect(server.url, paths, WARMUP_S, clickIds);
    server.resetPeakRss();
    const meter = cpuMeter(server.pid);
    const load = await driveRedirect(server.url, paths, DURATION_S, clickIds);
    const cpu = meter();
    const peakRss = server.peakRssBytes();
    // A graceful stop flushes nothing new here (every 302 already waited for its commit); it lets
    // the bench open the embedded database, which only one process may hold.
    await server.stop();
    server = null;
    const database = await openTarget(target);
    try {
      const stored = new Set((await rowsOf<{ id: string }>(database, 'select id from clicks')).map((r) => r.id));
      let lost = 0;
      for (const id of clickIds) if (!stored.has(id)) lost += 1;
      const counters = await projectionCheck((text) => rowsOf(database, text), CLICK_COUNTS);
      return { load, cpu, peakRss, stored: stored.size, answered: clickIds.size, lost, counters };
    } finally {
      await database.close();
    }
  } finally {
    await server?.kill();
    await fresh?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Cores used during the measured run by the server, PostgreSQL and the load generator (of the machine's total). */
export function cpuCells(cpu: CpuSample): Record<string, number | null> {
  return {
    'server cores': cpu.server === null ? null : round2(cpu.server),
    'postgres cores': round2(cpu.postgres),
    'loadgen cores': round2(cpu.loadGenerator),
  };
}

const round2 = (value: number) => Math.round(value * 100) / 100;
