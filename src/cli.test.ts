// Proves the command line's move-to-postgres: it explains what it needs when the target is missing
// or DATABASE_URL would make the source a server, refuses while another process holds the data
// directory, and, with PostgreSQL available, moves an embedded data directory into an empty
// database and says which key the server must keep.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { LOCK_FILE } from './store/data-dir-lock.js';
import { databaseUrlWithName } from '../test/support/global-setup.js';
import { idleProcess } from '../test/support/processes.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const run = async (argv: string[], env: Record<string, string | undefined>) => {
  const lines: string[] = [];
  const code = await runCli(argv, (l) => lines.push(l), env);
  return { code, output: lines.join('\n') };
};

describe('npm run cli -- move-to-postgres', () => {
  it('asks for the target, and refuses to read from a server', async () => {
    const missing = await run(['move-to-postgres'], { AFFABLE_DATA_DIR: '/nonexistent' });
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/needs the target/);
    const fromServer = await run(['move-to-postgres', 'postgres://x@127.0.0.1/y'], { DATABASE_URL: 'postgres://x@127.0.0.1/z' });
    expect(fromServer.code).toBe(2);
    expect(fromServer.output).toMatch(/unset DATABASE_URL/);
  });

  it('refuses while another process holds the embedded database, and creates nothing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'affable-move-held-'));
    dirs.push(dataDir);
    const holder = await idleProcess();
    try {
      await mkdir(join(dataDir, 'pg'));
      await writeFile(join(dataDir, 'pg', LOCK_FILE), `${holder.pid}\nelsewhere\n`);
      const moved = await run(['move-to-postgres', 'postgres://x@127.0.0.1:1/y'], { AFFABLE_DATA_DIR: dataDir });
      expect(moved.code).toBe(1);
      expect(moved.output).toContain(`in use by process ${holder.pid}`);
      expect(await readdir(join(dataDir, 'pg'))).toEqual([LOCK_FILE]); // PGlite never started
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it.skipIf(!process.env['DATABASE_URL'])('moves a data directory into an empty database, and refuses to move into it twice', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'affable-move-'));
    dirs.push(dataDir);
    const created = await run(['keys', 'create', '--name', 'before-the-move'], { AFFABLE_DATA_DIR: dataDir });
    expect(created.code).toBe(0);
    const server = process.env['DATABASE_URL']!;
    const name = `affable_move_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    try {
      await admin.query(`create database ${name}`);
      const url = databaseUrlWithName(server, name);
      const moved = await run(['move-to-postgres', url], { AFFABLE_DATA_DIR: dataDir });
      expect(moved.code, moved.output).toBe(0);
      expect(moved.output).toMatch(/api_keys: 1 rows/);
      expect(moved.output).toMatch(/row counts and money sums agree/);
      expect(moved.output).toContain(`${join(dataDir, 'secret.key')}, or the AFFABLE_SECRET_KEY it ran with`);
      const target = new pg.Client({ connectionString: url });
      await target.connect();
      try {
        expect((await target.query(`select name from api_keys`)).rows).toEqual([{ name: 'before-the-move' }]);
      } finally {
        await target.end();
      }
      const again = await run(['move-to-postgres', url], { AFFABLE_DATA_DIR: dataDir });
      expect(again.code).toBe(1);
      expect(again.output).toMatch(/not empty \(rows in api_keys\)/);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 120_000);
});
