// Bench 3: month close at scale. A generated program (affiliates, a fifth recruited; commissions over
// 18 months) at full size and at a tenth, on PostgreSQL and (a tenth only) on PGlite; each size runs
// in its own worker process (bench/month-close-worker.ts). See the worker for what is timed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFreshDatabase, type FreshDatabase } from './lib/postgres.js';
import { mib, QUICK, type Report } from './lib/report.js';
import { ROOT } from './lib/server.js';

interface WorkerResult {
  generated: { seconds: number; counts: Record<string, number> };
  payoutRuns: Array<{ seconds: number; items: number; withheld: number; amountMinor: number; error?: string }>;
  breakdown: Record<string, number>;
  tiers: { bulkSeconds: number; salesLoaded: number; counts: Record<string, number>; perAffiliateMs: number; perAffiliateExtrapolatedSeconds: number; sample: number };
  maxRssBytes: number;
}

/** The payout run's reads and pure composition, without its writes. */
const readAndCompose = (b: Record<string, number>) => (b['sum outstanding (SQL)'] ?? 0) + (b['select payee facts (= any)'] ?? 0) + (b['compose (pure)'] ?? 0);

export const FULL = QUICK ? { affiliates: 2_000, commissions: 40_000 } : { affiliates: 100_000, commissions: 2_000_000 };
const TENTH = { affiliates: FULL.affiliates / 10, commissions: FULL.commissions / 10 };

export function runWorker(input: Record<string, unknown>): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=12288', '--import', 'tsx', 'bench/month-close-worker.ts', JSON.stringify(input)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      err = (err + text).slice(-10_000);
      for (const line of text.split('\n')) if (line.trim() && line.length < 400) process.stdout.write(`${line}\n`);
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`month-close worker exited ${code}:\n${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as WorkerResult);
      } catch (error) {
        reject(error);
      }
    });
  });
}

/**
 * Runs the month-close bench. With `keepFull`, the full-size PostgreSQL database is handed back
 * undropped (the dashboard bench reads the same program) and the caller drops it.
 */
export async function monthCloseBench(report: Report, backends: Array<'pglite' | 'postgres'>, keepFull = false): Promise<FreshDatabase | null> {
  let kept: FreshDatabase | null = null;
  const section = report.section(`Month close: payout run (createPayoutRun, the use case of POST /api/v1/payout_runs) and tier evaluation of every affiliate`);
  const plans: Array<{ backend: 'pglite' | 'postgres'; size: typeof FULL; label: string }> = [];
  if (backends.includes('postgres')) plans.push({ backend: 'postgres', size: TENTH, label: 'tenth' }, { backend: 'postgres', size: FULL, label: 'full' });
  if (backends.includes('pglite')) plans.push({ backend: 'pglite', size: TENTH, label: 'tenth' });
  const results: Array<{ backend: string; label: string; result: WorkerResult }> = [];
  for (const plan of plans) {
    console.log(`\nMonth close on ${plan.backend}, ${plan.label} size (${plan.size.affiliates} affiliates, ${plan.size.commissions} commissions): generating …`);
    const fresh = plan.backend === 'postgres' ? await createFreshDatabase('close') : null;
    const dataDir = plan.backend === 'pglite' ? mkdtempSync(join(tmpdir(), 'affable-bench-close-')) : null;
    try {
      const result = await runWorker({ databaseUrl: fresh?.url, dataDir: dataDir ?? undefined, ...plan.size, tierSample: QUICK ? 100 : 500 });
      results.push({ backend: plan.backend, label: plan.label, result });
      const c = result.generated.counts;
      const failed = result.payoutRuns.find((r) => r.error);
      if (failed) section.notes.push(`${plan.backend} ${plan.label}: createPayoutRun FAILED after ${failed.seconds.toFixed(1)} s: ${failed.error}`);
      const b = result.breakdown;
      const benchPath = readAndCompose(b);
      section.rows.push({
        backend: plan.backend,
        size: plan.label,
        affiliates: c['affiliates'],
        commissions: c['commissions'],
        'ledger entries': c['ledger_entries'],
        payments: c['payments'],
        'generate s': result.generated.seconds,
        'payout run s (1st / 2nd)': failed ? 'FAILED' : `${result.payoutRuns[0]!.seconds.toFixed(2)} / ${result.payoutRuns[1]!.seconds.toFixed(2)}`,
        'run items / withheld': `${result.payoutRuns[0]!.items} / ${result.payoutRuns[0]!.withheld}`,
        'sum outstanding (SQL) s': result.breakdown['sum outstanding (SQL)'],
        'rows read': result.breakdown['rows loaded'],
        'payees s': result.breakdown['select payee facts (= any)'],
        'compose (pure) s': result.breakdown['compose (pure)'],
        'read+compose s': benchPath,
        'tiers bulk s': result.tiers.bulkSeconds,
        'tierOf per affiliate ms': result.tiers.perAffiliateMs,
        'tierOf × all s (extrapolated)': result.tiers.perAffiliateExtrapolatedSeconds,
        'peak RSS MiB': mib(result.maxRssBytes),
      });
    } finally {
      if (keepFull && fresh && plan.label === 'full') kept = fresh;
      else await fresh?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const pgTenth = results.find((r) => r.backend === 'postgres' && r.label === 'tenth');
  const pgFull = results.find((r) => r.backend === 'postgres' && r.label === 'full');
  if (pgTenth && pgFull) {
    const growth = (f: (r: WorkerResult) => number) => (f(pgFull.result) / f(pgTenth.result)).toFixed(1);
    section.notes.push(
      `Growth from a tenth to full size on PostgreSQL (10× the data): read+compose ×${growth((r) => readAndCompose(r.breakdown))}, tiers bulk ×${growth((r) => r.tiers.bulkSeconds)}${pgFull.result.payoutRuns.some((x) => x.error) ? '' : `, payout run ×${growth((r) => Math.min(...r.payoutRuns.map((x) => x.seconds)))}`}; linear would be ×10.`,
    );
  }
  const tierCounts = results.map((r) => `${r.backend} ${r.label}: ${JSON.stringify(r.result.tiers.counts)}`).join('; ');
  section.notes.push(`Tier standing of all affiliates at ${'2028-07-02'}: ${tierCounts}.`);
  section.notes.push(
    'The payout run is createPayoutRun from src/app/payout-runs.ts in a transaction that is rolled back (so it runs twice); it includes writing the run, its items and one mail per withheld affiliate. The breakdown columns repeat its reads (the outstanding amount of each unsettled commission due before the month, summed by the database; the payee facts) and the pure composition separately; "read+compose" is their sum, the run without its writes.',
  );
  section.notes.push(
    'Tier evaluation: "tiers bulk" reads every sale of the trailing window once and runs SalesBook + tierAt per affiliate (there is no app use case for all affiliates yet); "tierOf" is the per-affiliate path of GET /affiliates/{id}/tier on a sample (the 20 biggest sellers + random), times the number of affiliates.',
  );
  section.notes.push('PGlite runs the tenth size only: see the report for why full size is skipped.');
  section.notes.push('Target: ≤ 10 s on PostgreSQL at full size, roughly linear.');
  report.print(section);
  return kept;
}
