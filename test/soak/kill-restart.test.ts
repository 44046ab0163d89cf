// Proves the issue-4 requirement "a kill-and-restart during click recording loses no acknowledged
// click" on the embedded database: a real server process takes clicks from concurrent clients, is
// killed with SIGKILL mid-load, restarts on the same data directory, and every click id a client
// received in a 302 is in the database. (Runs on PGlite whatever DATABASE_URL says.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Api, createAffiliate, createProgram } from '../../bench/lib/api.js';
import { openTarget, rowsOf } from '../../bench/lib/db.js';
import { HttpDriver } from '../../bench/lib/http-driver.js';
import { startServer, type ServerHandle } from '../../bench/lib/server.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const dataDir = mkdtempSync(join(tmpdir(), 'affable-kill-restart-'));
const servers: ServerHandle[] = [];

afterAll(async () => {
  for (const server of servers) await server.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('kill -9 during click recording (issue 4)', () => {
  it('keeps every click that was answered with a 302', async () => {
    const first = await startServer({ dataDir });
    servers.push(first);
    const api = new Api(first.url);
    await createProgram(api, 'crash');
    const affiliate = await createAffiliate(api, 'crash', 'survivor');

    const acknowledged: string[] = [];
    const driver = new HttpDriver(first.url, 12);
    const killAfter = 400;
    let killing: Promise<void> | null = null;
    // Twelve clients click in a loop; the server is killed once 400 clicks are answered, while the
    // others are still in flight. Each loop ends at its first failed request (the server is gone).
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (let sent = 0; sent < 2_000; sent += 1) {
          try {
            const res = await driver.send('GET', `/r/${affiliate.code}`, undefined, { 'user-agent': BROWSER }, 10_000);
            expect(res.status).toBe(302);
            const id = /[?&]aff_click=([^&]+)/.exec(String(res.headers['location']))?.[1];
            expect(id).toMatch(/^clk_/);
            acknowledged.push(id!);
          } catch (error) {
            if (!killing) throw error;
            return;
          }
          if (acknowledged.length >= killAfter && !killing) killing = first.kill();
        }
      }),
    );
    await killing;
    driver.close();
    expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter);

    // Restart on the same data: the embedded database recovers, and the server answers again.
    const second = await startServer({ dataDir, port: first.port });
    servers.push(second);
    const after = await fetch(`${second.url}/r/${affiliate.code}`, { redirect: 'manual', headers: { 'user-agent': BROWSER } });
    expect(after.status).toBe(302);
    await second.stop();

    const database = await openTarget({ backend: 'pglite', dataDir });
    try {
      const stored = new Set((await rowsOf<{ id: string }>(database, 'select id from clicks')).map((r) => r.id));
      const lost = acknowledged.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length + 1);
    } finally {
      await database.close();
    }
  });
});
