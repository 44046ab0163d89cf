// Bench 1: the click redirect GET /r/{code} under autocannon (50 connections), beside a bare
// node:http server answering the same 302 with the same Set-Cookie. After each run every click id
// the load generator saw in a 302 must be in the database (committed before its 302).
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, createAffiliate, createProgram } from './lib/api.js';
import { openTarget, rowsOf, type Target } from './lib/db.js';
import { createFreshDatabase } from './lib/postgres.js';
import { mib, QUICK, type Report } from './lib/report.js';
import { cpuMeter, startServer, type CpuSample, type ServerHandle } from './lib/server.js';

export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const CONNECTIONS = 50;
const DURATION_S = QUICK ? 3 : 10;
const WARMUP_S = QUICK ? 1 : 3;

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

/** Drives `url` for `seconds`, collecting the click id of every 302 answered. */
export async function driveRedirect(url: string, seconds: number, clickIds = new Set<string>()): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'user-agent': BROWSER_UA },
    requests: [
      {
        method: 'GET',
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
    const bareDir = mkdtempSync(join(tmpdir(), 'affable-bench-bare-'));
    const bare = await startServer({ script: 'bench/bare-server.ts', dataDir: bareDir });
    let bareResult: LoadResult;
    let bareRss: number | null;
    let bareCpu: CpuSample;
    try {
      await driveRedirect(`${bare.url}/r/bench`, WARMUP_S);
      bare.resetPeakRss();
      const meter = cpuMeter(bare.pid);
      bareResult = await driveRedirect(`${bare.url}/r/bench`, DURATION_S);
      bareCpu = meter();
      bareRss = bare.peakRssBytes();
    } finally {
      await bare.stop();
      rmSync(bareDir, { recursive: true, force: true });
    }
    section.rows.push({
      backend,
      server: 'bare node:http',
      'req/s': bareResult.requestsPerSecond,
      'p50 ms': bareResult.p50Ms,
      'p99 ms': bareResult.p99Ms,
      'peak RSS MiB': mib(bareRss),
      'ratio to bare': 1,
      ...cpuCells(bareCpu),
      '302s': bareResult.status3xx,
      'non-3xx': bareResult.other,
      'clicks stored': null,
      'lost': null,
    });

    const affable = await runAffable(backend);
    section.rows.push({
      backend,
      server: 'Affable',
      'req/s': affable.load.requestsPerSecond,
      'p50 ms': affable.load.p50Ms,
      'p99 ms': affable.load.p99Ms,
      'peak RSS MiB': mib(affable.peakRss),
      'ratio to bare': affable.load.requestsPerSecond / bareResult.requestsPerSecond,
      ...cpuCells(affable.cpu),
      '302s': affable.load.status3xx,
      'non-3xx': affable.load.other,
      'clicks stored': affable.stored,
      'lost': affable.lost,
    });
    if (affable.lost !== 0) throw new Error(`${backend}: ${affable.lost} clicks answered with a 302 are not in the database`);
    section.notes.push(
      `${backend}: every one of the ${affable.answered} click ids answered with a 302 (warm-up included) is in the database; ${affable.stored - affable.answered} more were stored whose 302 was still in flight when the load generator stopped (≤ ${CONNECTIONS} per phase).`,
    );
  }
  section.notes.push(`Cores: CPU time per wall second of the server process, of all postgres processes and of the load generator (this bench process); the machine has ${availableParallelism()}.`);
  section.notes.push('Target: Affable ≥ 0.5 × bare, p99 ≤ 20 ms, every click committed before its 302 (group commit).');
  report.print(section);
}

async function runAffable(backend: 'pglite' | 'postgres'): Promise<{ load: LoadResult; cpu: CpuSample; peakRss: number | null; stored: number; answered: number; lost: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'affable-bench-redirect-'));
  const fresh = backend === 'postgres' ? await createFreshDatabase('redirect') : null;
  const target: Target = { backend, dataDir, databaseUrl: fresh?.url };
  let server: ServerHandle | null = null;
  try {
    server = await startServer({ dataDir, databaseUrl: fresh?.url, cpuProfDir: process.env['BENCH_CPU_PROF_DIR'] });
    const api = new Api(server.url);
    await createProgram(api, 'bench');
    const affiliate = await createAffiliate(api, 'bench', 'clicker');
    const url = `${server.url}/r/${affiliate.code}`;
    const clickIds = new Set<string>();
    await driveRedirect(url, WARMUP_S, clickIds);
    server.resetPeakRss();
    const meter = cpuMeter(server.pid);
    const load = await driveRedirect(url, DURATION_S, clickIds);
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
      return { load, cpu, peakRss, stored: stored.size, answered: clickIds.size, lost };
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
