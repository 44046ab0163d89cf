// Proves the click group commit on this run's backend: concurrent clicks share one statement and
// are stored when their promise resolves, the visitor's text is stored exactly as sent, a batch
// that fails rejects every click in it and stores none of them, and a closed recorder refuses.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestDatabase } from '../../test/support/db.js';
import type { Database } from '../store/db.js';
import { newId } from '../store/ids.js';
import { ClickRecorder, type ClickRow } from './click-recorder.js';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const at = new Date('2027-01-03T10:00:00.123Z');
function click(overrides: Partial<ClickRow> = {}): ClickRow {
  return {
    id: newId('clk'),
    linkId: 'lnk_test',
    programId: 'prg_test',
    affiliateId: 'aff_test',
    clickedAt: at,
    recordedAt: new Date('2027-01-03T10:00:01Z'),
    isBot: false,
    credited: true,
    ipHash: '0123456789abcdef0123456789abcdef',
    userAgent: 'Mozilla/5.0',
    referrer: null,
    ...overrides,
  };
}

async function stored(ids: string[]): Promise<Array<Record<string, unknown>>> {
  const list = ids.map((id) => `'${id}'`).join(',');
  const sql = `select id, link_id, clicked_at, recorded_at, is_bot, credited, ip_hash, user_agent, referrer from clicks where id in (${list}) order by id`;
  if (database.pglite) return (await database.pglite.query<Record<string, unknown>>(sql)).rows;
  return (await database.pool!.query<Record<string, unknown>>(sql)).rows;
}

describe('ClickRecorder', () => {
  it('stores a burst of clicks in one statement, each before its promise resolves', async () => {
    const recorder = new ClickRecorder(database);
    const driver = database.pglite ? vi.spyOn(database.pglite, 'exec') : vi.spyOn(database.pool!, 'query');
    const rows = Array.from({ length: 120 }, () => click());
    let committedBeforeResolve = true;
    await Promise.all(
      rows.map(async (row) => {
        await recorder.record(row);
        if ((await stored([row.id])).length !== 1) committedBeforeResolve = false;
      }),
    );
    const writes = driver.mock.calls.filter(([query]) => JSON.stringify(query).includes('into clicks') || JSON.stringify(query).includes('copy clicks'));
    driver.mockRestore();
    expect(writes).toHaveLength(1);
    expect(committedBeforeResolve).toBe(true);
    expect(await stored(rows.map((r) => r.id))).toHaveLength(120);
    await recorder.close();
  });

  it('stores the visitor’s text exactly: tabs, newlines, backslashes, COPY markers, NULL look-alikes and non-ASCII', async () => {
    const recorder = new ClickRecorder(database);
    const texts = ['a\tb', 'line\nbreak\r\n', 'back\\slash \\N \\. \\t', '\\.', '\\N', 'ümlaut — ✓ 𝄞', '', ' "quoted", {braces} ', 'NULL'];
    const rows = texts.map((text) => click({ userAgent: text, referrer: `${text}!`, ipHash: null, isBot: true, credited: false }));
    await Promise.all(rows.map((row) => recorder.record(row)));
    const byId = new Map((await stored(rows.map((r) => r.id))).map((r) => [r['id'], r]));
    for (const row of rows) {
      const got = byId.get(row.id)!;
      expect(got['user_agent']).toBe(row.userAgent);
      expect(got['referrer']).toBe(row.referrer);
      expect(got['ip_hash']).toBeNull();
      expect(got['is_bot']).toBe(true);
      expect(got['credited']).toBe(false);
      expect(new Date(got['clicked_at'] as string).toISOString()).toBe('2027-01-03T10:00:00.123Z');
      expect(new Date(got['recorded_at'] as string).toISOString()).toBe('2027-01-03T10:00:01.000Z');
    }
    await recorder.close();
  });

  it('rejects every click of a batch that fails, stores none of them, and goes on recording', async () => {
    const recorder = new ClickRecorder(database);
    const existing = click();
    await recorder.record(existing);
    // A repeated id fails the batch's statement (primary key); its companions fail with it.
    const batch = [click(), click({ id: existing.id }), click()];
    const outcomes = await Promise.allSettled(batch.map((row) => recorder.record(row)));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await stored([batch[0]!.id, batch[2]!.id])).toHaveLength(0);
    const after = click();
    await recorder.record(after);
    expect(await stored([after.id])).toHaveLength(1);
    await recorder.close();
  });

  it('refuses clicks once closed', async () => {
    const recorder = new ClickRecorder(database);
    await recorder.close();
    await expect(recorder.record(click())).rejects.toThrow('closed');
  });
});
