// Builds the web UI (src/web → dist/web) with Vite. With `--if-stale` it builds only when
// dist/web is missing or older than any file of src/web, vite.config.ts or package-lock.json,
// so `npm start` on a fresh clone builds once and later starts stay fast.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist/web/.built');

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when the built UI is missing or older than its sources. */
export function webIsStale(): boolean {
  if (!existsSync(stamp) || !existsSync(join(root, 'dist/web/index.html')) || !existsSync(join(root, 'dist/web/admin.html'))) return true;
  const sources = ['src/web', 'vite.config.ts', 'package-lock.json'].map((p) => join(root, p)).filter((p) => existsSync(p));
  const newest = Math.max(...sources.map(newestMtime));
  return newest > statSync(stamp).mtimeMs;
}

export async function buildWeb(options: { ifStale?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  if (options.ifStale && !webIsStale()) return false;
  const { build } = await import('vite');
  const started = performance.now();
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: options.quiet ? 'silent' : 'warn' });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  if (!options.quiet) process.stdout.write(`Built the web UI into dist/web in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWeb({ ifStale: process.argv.includes('--if-stale') }).catch((error: unknown) => {
    process.stderr.write(`The web UI failed to build: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
