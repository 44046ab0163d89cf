// Group commit for clicks (issue: "every click is committed before its 302, and concurrent clicks
// share commits"). Each request enqueues its click and awaits the flush that carries it; a flush is
// one multi-row INSERT. While a flush is running, new clicks gather for the next one, so under load
// batches grow by themselves and at rest a click waits for no timer.
import type { Database } from '../store/db.js';
import { clicks } from '../store/schema.js';

export type ClickRow = typeof clicks.$inferInsert;

interface Pending {
  row: ClickRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class ClickRecorder {
  private queue: Pending[] = [];
  private flushing = false;
  private closed = false;

  constructor(
    private readonly database: Database,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves once the click is committed; rejects if its batch failed (the caller answers 5xx). */
  record(row: ClickRow): Promise<void> {
    if (this.closed) return Promise.reject(new Error('click recorder is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.database.db.insert(clicks).values(batch.map((p) => p.row));
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Waits for queued clicks, then refuses new ones (graceful shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  }
}
