// Proves the README's first command from the outside: the product starts on the embedded
// database, seeds the demo program and prints its URLs and credentials; the printed API key works;
// a restart on the same data directory keeps every row; the CLI creates and revokes keys; a
// second process on a running server's data directory is refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';

const root = new URL('../..', import.meta.url).pathname;
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns the server (src/main.ts) with `env`; `output()` is everything it has printed so far. */
function spawnServer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function start(env: Record<string, string>): Promise<{ child: ChildProcess; output: string }> {
  const { child, output } = spawnServer(env);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 90 s:\n${output()}`)), 90_000);
    const check = setInterval(() => {
      if (output().includes('Affable is running') && output().includes('\n\n')) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output()}`));
    });
  });
  return { child, output: output() };
}

/** Starts the server expecting it to refuse: its exit code and everything it printed. */
async function refusedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnServer(env);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  return { code, output: output() };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

describe.skipIf(process.env['DATABASE_URL'])('npm start on the embedded database', () => {
  it('seeds the demo, prints working credentials, and keeps data across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'affable-start-'));
    dirs.push(dataDir);
    const port = await freePort();
    const env = { AFFABLE_DATA_DIR: dataDir, PORT: String(port), DATABASE_URL: '' };
    const first = await start(env);
    expect(first.output).toContain(`http://localhost:${port}/admin`);
    const key = /Demo API key\s+(\S+)/.exec(first.output)?.[1];
    expect(key).toMatch(/^afk_/);
    expect(first.output).toMatch(/Demo admin login\s+admin@affable\.local \/ \S+/);
    const base = `http://127.0.0.1:${port}`;
    const program = await fetch(`${base}/api/v1/programs/kartra`, { headers: { authorization: `Bearer ${key}` } });
    expect(program.status).toBe(200);
    expect((await program.json()).tiers.map((t: { key: string }) => t.key)).toEqual(['referral', 'tier_1', 'tier_2', 'tier_3']);
    const created = await fetch(`${base}/api/v1/affiliates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'kept@example.com', username: 'keptacrossrestart', name: 'Kept' }),
    });
    expect(created.status).toBe(201);
    const id = (await created.json()).id;
    await stop(first.child);

    const second = await start(env);
    expect(second.output).toContain(key!);
    const again = await fetch(`${base}/api/v1/affiliates/${id}`, { headers: { authorization: `Bearer ${key}` } });
    expect(again.status).toBe(200);
    expect((await again.json()).username).toBe('keptacrossrestart');
    await stop(second.child);

    // The CLI opens the same data directory: create a key, use it, revoke it.
    const lines: string[] = [];
    expect(await runCli(['keys', 'create', '--name', 'ci'], (l) => lines.push(l), { AFFABLE_DATA_DIR: dataDir })).toBe(0);
    const secret = lines.join('\n').match(/afk_\S+/)?.[0];
    const keyId = lines.join('\n').match(/key_\S+/)?.[0];
    expect(secret).toBeDefined();
    const third = await start(env);
    expect((await fetch(`${base}/api/v1/programs/kartra`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    // While it runs, the embedded database is its alone (src/store/data-dir-lock.ts): a command
    // line and a second server on the same directory are refused, say by whom, and write nothing.
    const beside: string[] = [];
    expect(await runCli(['keys', 'create', '--name', 'beside-the-server'], (l) => beside.push(l), { AFFABLE_DATA_DIR: dataDir })).toBe(1);
    expect(beside.join('\n')).toContain(`in use by process ${third.child.pid}`);
    const twice = await refusedStart({ ...env, PORT: String(await freePort()) });
    expect(twice.code).toBe(1);
    expect(twice.output).toContain(`in use by process ${third.child.pid}. Stop that process first`);
    expect(twice.output).not.toMatch(/\n\s+at /); // a sentence, not a stack
    expect((await fetch(`${base}/api/v1/programs/kartra`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    await stop(third.child);
    const listed: string[] = [];
    expect(await runCli(['keys', 'list'], (l) => listed.push(l), { AFFABLE_DATA_DIR: dataDir })).toBe(0);
    expect(listed.join('\n')).toContain(keyId!);
    expect(listed.join('\n')).not.toContain('beside-the-server');
    expect(await runCli(['keys', 'revoke', keyId!], (l) => lines.push(l), { AFFABLE_DATA_DIR: dataDir })).toBe(0);
    const fourth = await start(env);
    expect((await fetch(`${base}/api/v1/programs/kartra`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    await stop(fourth.child);
    expect(await runCli(['keys', 'revoke'], (l) => lines.push(l), { AFFABLE_DATA_DIR: dataDir })).toBe(2);
    expect(await runCli(['nonsense'], (l) => lines.push(l), { AFFABLE_DATA_DIR: dataDir })).toBe(2);
  }, 300_000);

  it('turns AFFABLE_BOOTSTRAP_API_KEY into an admin key on first start when no key exists', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'affable-boot-'));
    dirs.push(dataDir);
    const port = await freePort();
    const bootstrap = 'bootstrap-key-for-tests-0123456789';
    const run = await start({ AFFABLE_DATA_DIR: dataDir, PORT: String(port), AFFABLE_DEMO: '0', AFFABLE_BOOTSTRAP_API_KEY: bootstrap, DATABASE_URL: '' });
    expect(run.output).not.toContain('Demo API key');
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/programs`, { headers: { authorization: `Bearer ${bootstrap}` } });
    expect(res.status).toBe(200);
    expect((await res.json()).data).toEqual([]);
    await stop(run.child);
  }, 180_000);

  it('refuses a bad setting with a message that names the variable', async () => {
    const { code, output } = await refusedStart({ PORT: 'eighty', DATABASE_URL: '' });
    expect(code).toBe(2);
    expect(output).toContain('PORT');
  }, 60_000);
});
