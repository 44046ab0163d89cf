// `npm run bench`: every bench, on PGlite and on PostgreSQL, printed as tables beside baselines
// measured in the same run and written to bench/results/bench-<time>.json. Benchmarks are not
// tests: nothing here passes or fails on time; it fails only when a correctness check does
// (a click answered but not stored). BENCH_QUICK=1 runs a short smoke version.
//   BENCH_ONLY=redirect,events,bigseller,close,dashboard   run some of them
//   BENCH_BACKENDS=pglite,postgres               on some backends
//   BENCH_DATABASE_URL=postgres://…              the PostgreSQL server (fresh databases are created and dropped)
import { redirectBench } from './redirect.js';
import { eventsBench } from './events.js';
import { bigSellerBench } from './big-seller.js';
import { FULL, monthCloseBench } from './month-close.js';
import { dashboardBench, dashboardData } from './dashboard.js';
import { postgresAvailable } from './lib/postgres.js';
import { QUICK, Report } from './lib/report.js';

const only = new Set((process.env['BENCH_ONLY'] ?? 'redirect,events,bigseller,close,dashboard').split(',').map((s) => s.trim()));
let backends = (process.env['BENCH_BACKENDS'] ?? 'pglite,postgres').split(',').map((s) => s.trim()) as Array<'pglite' | 'postgres'>;
if (backends.includes('postgres') && !(await postgresAvailable())) {
  console.log('PostgreSQL is not reachable (BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432): PostgreSQL runs are skipped.');
  backends = backends.filter((b) => b !== 'postgres');
}

const report = new Report();
const started = performance.now();
console.log(`Affable bench${QUICK ? ' (BENCH_QUICK=1: short runs, small data)' : ''} on ${backends.join(' and ')}`);
if (only.has('redirect')) await redirectBench(report, backends);
if (only.has('events')) await eventsBench(report, backends);
if (only.has('bigseller')) await bigSellerBench(report, backends);
const wantsDashboard = only.has('dashboard') && backends.includes('postgres');
const kept = only.has('close') ? await monthCloseBench(report, backends, wantsDashboard) : null;
if (wantsDashboard) {
  // The dashboard reads the month-close program at full size, with clicks added.
  const data = kept ? { database: kept, affiliates: FULL.affiliates, slug: 'scale' } : await dashboardData();
  try {
    await dashboardBench(report, data);
  } finally {
    await data.database.drop();
  }
}
const path = report.write('bench');
console.log(`\nWrote ${path} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
