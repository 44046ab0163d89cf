// Runs Affable (or the bare baseline server) as a child process, so that the load generator in
// the bench process never shares the server's event loop. Loopback only.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BENCH_API_KEY = 'afk_bench_0123456789abcdefghijklmnopqrstuv';

export interface ServerHandle {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string | null>;
  /** SIGTERM (graceful: queued clicks are flushed, the database closed) and wait. */
  stop(): Promise<void>;
  /** SIGKILL, no goodbye (the soak's crash), and wait. */
  kill(): Promise<void>;
  /** Resets the kernel's high-water mark of resident memory (Linux: clear_refs 5). */
  resetPeakRss(): void;
  /** The process's peak resident memory since start or the last reset, in bytes (Linux VmHWM). */
  peakRssBytes(): number | null;
  /** What the process wrote to stderr (the last 20 kB), for failures. */
  stderr(): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  /** PostgreSQL URL; absent, the embedded database under `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  port?: number | undefined;
  /** Writes a V8 CPU profile into this directory when the process exits (node --cpu-prof). */
  cpuProfDir?: string | undefined;
  env?: Record<string, string> | undefined;
  /** The script to run instead of src/main.ts (the bare baseline). */
  script?: string | undefined;
  readyPath?: string | undefined;
  readyTimeoutMs?: number | undefined;
}

export async function startServer(options: StartOptions): Promise<ServerHandle> {
  const port = options.port ?? (await freePort());
  const script = options.script ?? 'src/main.ts';
  const nodeArgs = ['--import', 'tsx'];
  if (options.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
    HOST: '127.0.0.1',
    AFFABLE_DEMO: '0',
    LOG_LEVEL: 'warn',
    AFFABLE_DATA_DIR: options.dataDir,
    AFFABLE_BOOTSTRAP_API_KEY: BENCH_API_KEY,
    AFFABLE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    NODE_ENV: 'production',
    AFFABLE_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
    ...options.env,
  };
  delete env['DATABASE_URL'];
  if (options.databaseUrl) env['DATABASE_URL'] = options.databaseUrl;
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let errText = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errText = (errText + chunk.toString('utf8')).slice(-20_000);
  });
  child.stdout!.on('data', () => undefined);
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (gone) throw new Error(`server exited before it was ready:\n${errText}`);
    try {
      const res = await fetch(`${url}${options.readyPath ?? '/readyz'}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within the timeout:\n${errText}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    url,
    port,
    pid,
    child,
    exited,
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (gone) return;
      child.kill('SIGKILL');
      await exited;
    },
    resetPeakRss() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        // not Linux, or not allowed: the peak then covers the whole life of the process
      }
    },
    peakRssBytes() {
      const path = `/proc/${pid}/status`;
      if (!existsSync(path)) return null;
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(path, 'utf8'));
      return match ? Number(match[1]) * 1024 : null;
    },
    stderr: () => errText,
  };
}

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/** CPU seconds (user + system) a process has used so far, from /proc; null elsewhere. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU seconds used by every process named `postgres` on this machine (the local server's backends). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** CPU seconds of this process (the load generator). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

export interface CpuSample {
  server: number | null;
  postgres: number;
  loadGenerator: number;
  wallSeconds: number;
}

/** Starts counting CPU; the returned function gives the cores each side used meanwhile. */
export function cpuMeter(serverPid: number): () => CpuSample {
  const server0 = processCpuSeconds(serverPid);
  const postgres0 = postgresCpuSeconds();
  const own0 = ownCpuSeconds();
  const started = performance.now();
  return () => {
    const wallSeconds = (performance.now() - started) / 1000;
    const server1 = processCpuSeconds(serverPid);
    return {
      server: server0 === null || server1 === null ? null : (server1 - server0) / wallSeconds,
      postgres: (postgresCpuSeconds() - postgres0) / wallSeconds,
      loadGenerator: (ownCpuSeconds() - own0) / wallSeconds,
      wallSeconds,
    };
  };
}
