// Group commit for clicks (issue: "every click is committed before its 302, and concurrent clicks
// share commits"). Each request enqueues its click and awaits the flush that carries it; a flush is
// one statement (a multi-row INSERT or a COPY, below). While a flush is running, new clicks gather
// for the next one, so under load batches grow by themselves and at rest a click waits for no timer.
//
// What makes the batches real and cheap on both drivers (bench/redirect.ts measured them):
// - A flush starts on `setImmediate`, not at once, and yields once more before each next batch.
//   PGlite executes queries on this thread: a flush started inside the first request's callback
//   ran before the event loop had parsed the other requests already waiting on their sockets, so
//   every batch held one click (≈1k clicks/s). Yielding to the poll phase lets them join; at rest
//   the cost is one turn of the event loop, not a timer.
// - A batch is one statement whose text is the same for any batch size, sent to the driver
//   directly (drizzle's query building and result mapping cost a third more CPU per click):
//   PostgreSQL: a named prepared INSERT binding one array per column (`unnest`); building a
//   500-row VALUES list cost more CPU than the database spent on the insert.
//   PGlite: a COPY of the batch as text through its /dev/blob, run with the simple protocol (one
//   round trip into PGlite, where a query with parameters takes six): a third less CPU per click
//   than the `unnest` INSERT, and PGlite's insert is half of the redirect's CPU there. COPY fires
//   the INSERT triggers like an INSERT does (the per-link counter of drizzle/0003).
// - A batch has one promise that all its clicks await, not one each.
// - One batch is in flight while the next gathers (see `flushing`).
import type { Database } from '../store/db.js';
import type { clicks } from '../store/schema.js';

export type ClickRow = typeof clicks.$inferInsert;

interface Batch {
  rows: ClickRow[];
  /** Settles once the batch's INSERT has committed or failed. */
  committed: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const committed = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { rows: [], committed, resolve, reject };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ClickRecorder {
  /** Batches not yet taken by a flush; only the last one still gathers clicks. */
  private queue: Batch[] = [];
  /**
   * A flush is running; it takes batches until none is left, so one batch is in flight while the
   * next gathers, on both databases (PGlite runs one query at a time anyway). PostgreSQL had four
   * in flight, chosen before the per-link click counters (drizzle/0003): every batch now upserts
   * its links' counter rows, and concurrent batches that share a link wait for each other's commit,
   * fsync included, so four in flight made four smaller batches that committed one after another.
   * Measured on one machine (bench/redirect.ts, 50 connections, alternating): one link, 27.8k,
   * 28.0k and 28.7k req/s with one against 21.2k, 23.2k and 22.8k with four (two: 26.5k and 27.1k);
   * clicks spread over 200 links, 20.8k against 19.8k; each batch's statement slowed by 5 ms (a
   * slow disk, simulated with pg_sleep in a trigger), 3,990 against 1,879 on one link and 3,876
   * against 4,141 (p99 16 against 23 ms) over 200 links. Starting more only when a batch had
   * waited 2 ms measured between the two.
   */
  private flushing = false;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly database: Database,
    private readonly maxBatch = 1000,
  ) {}

  /** Resolves once the click is committed; rejects if its batch failed (the caller answers 5xx). */
  record(row: ClickRow): Promise<void> {
    if (this.closed) return Promise.reject(new Error('click recorder is closed'));
    let batch = this.queue[this.queue.length - 1];
    if (batch === undefined || batch.rows.length >= this.maxBatch) {
      batch = newBatch();
      this.queue.push(batch);
    }
    batch.rows.push(row);
    this.schedule();
    return batch.committed;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.queue.length === 0 || this.flushing) return;
      this.flushing = true;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      let batch: Batch | undefined;
      while ((batch = this.queue.shift()) !== undefined) {
        try {
          await insertClicks(this.database, batch.rows);
          batch.resolve();
        } catch (error) {
          batch.reject(error);
        }
        // The clicks that arrived during this commit join the next batch.
        if ((this.queue[0]?.rows.length ?? 0) < this.maxBatch) await nextTurn();
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Waits for queued clicks, then refuses new ones (graceful shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.scheduled || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  }
}

const INSERT_CLICKS = `
  insert into clicks (id, link_id, program_id, affiliate_id, clicked_at, recorded_at, is_bot, credited, ip_hash, user_agent, referrer)
  select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::boolean[], $8::boolean[], $9::text[], $10::text[], $11::text[])`;

const COPY_CLICKS = `copy clicks (id, link_id, program_id, affiliate_id, clicked_at, recorded_at, is_bot, credited, ip_hash, user_agent, referrer) from '/dev/blob'`;

/** One statement for any number of clicks, committed when it returns. */
async function insertClicks(database: Database, rows: readonly ClickRow[]): Promise<void> {
  if (database.pglite) {
    await database.pglite.exec(COPY_CLICKS, { blob: new Blob([rows.map(copyLine).join('')]) });
    return;
  }
  if (!database.pool) throw new Error(`click recorder: no driver for a ${database.kind} database`);
  const values = [
    rows.map((r) => r.id),
    rows.map((r) => r.linkId),
    rows.map((r) => r.programId),
    rows.map((r) => r.affiliateId),
    rows.map((r) => r.clickedAt.toISOString()),
    rows.map((r) => r.recordedAt.toISOString()),
    rows.map((r) => r.isBot),
    rows.map((r) => r.credited),
    rows.map((r) => r.ipHash ?? null),
    rows.map((r) => r.userAgent ?? null),
    rows.map((r) => r.referrer ?? null),
  ];
  await database.pool.query({ name: 'insert_clicks', text: INSERT_CLICKS, values });
}

/** A click as a line of COPY's text format: tab-separated, in COPY_CLICKS's column order. */
function copyLine(r: ClickRow): string {
  return `${copyText(r.id)}\t${copyText(r.linkId)}\t${copyText(r.programId)}\t${copyText(r.affiliateId)}\t${r.clickedAt.toISOString()}\t${r.recordedAt.toISOString()}\t${r.isBot ? 't' : 'f'}\t${r.credited ? 't' : 'f'}\t${copyText(r.ipHash)}\t${copyText(r.userAgent)}\t${copyText(r.referrer)}\n`;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * A text value as COPY reads it back unchanged: `\N` is NULL, and a backslash, tab, newline or
 * carriage return is escaped (PostgreSQL, COPY "Text Format"). User agents and referrers are the
 * visitor's text; escaped, they stay data.
 */
function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (char) => COPY_ESCAPES[char]!) : value;
}
