// A node-postgres client whose transaction boundaries travel with the statements beside them.
// An event's transaction was five round trips to PostgreSQL (BEGIN, claim, facts, write, COMMIT),
// and each is a socket write and a wake-up on both sides: on a 2-core machine those writes were
// the largest single cost in the server's profile. Here BEGIN waits and leaves in the same write
// as the transaction's first statement, and `queryThenCommit` sends the last statement and COMMIT
// together: three round trips. It relies on node-postgres's pipeline mode (pg 8.23.1, pinned in
// package.json), which sends a queued query without waiting for the one before it to be answered.
import pg from 'pg';

type Callback = (error: Error | null, result?: pg.QueryResult) => void;

/** A QueryResult for a boundary the client answered itself (nothing was sent). */
function answered(command: string): pg.QueryResult {
  return { command, rowCount: null, oid: 0, fields: [], rows: [] };
}

/** 'begin', 'commit' or 'rollback' when `config` is that bare statement (drizzle's), else null. */
function boundaryOf(config: unknown, values: unknown): 'begin' | 'commit' | 'rollback' | null {
  if (Array.isArray(values) && values.length > 0) return null;
  const text = typeof config === 'string' ? config : typeof config === 'object' && config !== null && !('name' in config && config.name) ? (config as { text?: unknown }).text : null;
  if (typeof text !== 'string') return null;
  const word = text.trim().toLowerCase();
  return word === 'begin' || word === 'commit' || word === 'rollback' ? word : null;
}

export class PipelinedClient extends pg.Client {
  /** A BEGIN asked for and not sent yet: it goes out with the next statement. */
  #beginPending = false;
  /** queryThenCommit sent COMMIT: the transaction is over, whatever the caller sends next. */
  #ended = false;

  constructor(config?: pg.ClientConfig) {
    super({ ...config, pipeline: true });
  }

  // node-postgres's overloads, forwarded as they came.
  override query(...args: unknown[]): never {
    const [config, values] = args;
    const boundary = boundaryOf(config, typeof values === 'function' ? undefined : values);
    const callback = args.find((a): a is Callback => typeof a === 'function');
    if (boundary === 'begin' && !this.#beginPending && !this.#ended) {
      this.#beginPending = true;
      return this.#answer('BEGIN', callback);
    }
    if ((boundary === 'commit' || boundary === 'rollback') && (this.#beginPending || this.#ended)) {
      // Nothing was sent since BEGIN (nothing to end), or queryThenCommit ended it already.
      this.#beginPending = false;
      this.#ended = false;
      return this.#answer(boundary.toUpperCase(), callback);
    }
    if (this.#ended) {
      // A statement after the transaction committed would run on its own, outside it: refuse it.
      const error = new Error('PipelinedClient: a statement after queryThenCommit, before the transaction was closed');
      if (callback) {
        process.nextTick(() => callback(error));
        return undefined as never;
      }
      return Promise.reject(error) as never;
    }
    if (!this.#beginPending) return (super.query as (...a: unknown[]) => never)(...args);
    return this.#withBegin(() => (super.query as (...a: unknown[]) => never)(...args), callback);
  }

  /**
   * The pool took the client back (its 'release' event): a BEGIN never sent, or a transaction
   * queryThenCommit ended, ends with the checkout, so the next one starts clean.
   */
  checkedIn(): void {
    this.#beginPending = false;
    this.#ended = false;
  }

  /**
   * Sends `config` and then COMMIT in one write (after a pending BEGIN). Answers the statement's
   * result once both succeeded. If the statement fails, PostgreSQL answers the COMMIT of the
   * aborted transaction by rolling it back, and the statement's error is thrown; if COMMIT itself
   * fails, nothing was committed and its error is thrown. The caller's own COMMIT or ROLLBACK
   * after this is answered without being sent.
   */
  async queryThenCommit(config: pg.QueryConfig): Promise<pg.QueryResult> {
    if (this.#ended) throw new Error('PipelinedClient: queryThenCommit twice in one transaction');
    const send = () => {
      const statement = super.query(config);
      const commit = super.query('commit');
      return { statement, commit };
    };
    let sent: { statement: Promise<pg.QueryResult>; commit: Promise<pg.QueryResult> } | undefined;
    const begin = this.#corked(() => {
      const pendingBegin = this.#beginPending ? super.query('begin') : null;
      this.#beginPending = false;
      sent = send();
      return pendingBegin;
    });
    this.#ended = true;
    const { statement, commit } = sent!;
    // Every promise is awaited (or caught) before anything throws, so none rejects unobserved.
    const [beginOutcome, statementOutcome, commitOutcome] = await Promise.allSettled([begin ?? Promise.resolve(null), statement, commit]);
    if (beginOutcome.status === 'rejected') throw beginOutcome.reason;
    if (statementOutcome.status === 'rejected') throw statementOutcome.reason;
    if (commitOutcome.status === 'rejected') throw commitOutcome.reason;
    if (commitOutcome.value.command !== 'COMMIT') throw new Error(`PipelinedClient: COMMIT answered ${commitOutcome.value.command}`);
    return statementOutcome.value;
  }

  #answer(command: string, callback: Callback | undefined): never {
    const result = answered(command);
    if (callback) {
      process.nextTick(() => callback(null, result));
      return undefined as never;
    }
    return Promise.resolve(result) as never;
  }

  /**
   * Sends the pending BEGIN and then the statement in one write. The statement's answer waits for
   * BEGIN's: were BEGIN refused, the statement must not be taken for part of a transaction.
   */
  #withBegin(send: () => never, callback: Callback | undefined): never {
    this.#beginPending = false;
    let statement: unknown;
    const begin = this.#corked(() => {
      const sentBegin = super.query('begin');
      statement = send();
      return sentBegin;
    });
    if (callback) {
      // node-postgres calls the statement's callback itself; BEGIN's failure ends the connection.
      begin.catch((error: unknown) => this.connection.stream.destroy(error instanceof Error ? error : undefined));
      return statement as never;
    }
    const both = Promise.allSettled([begin, statement as Promise<pg.QueryResult>]).then(([b, s]) => {
      if (b.status === 'rejected') throw b.reason;
      if (s.status === 'rejected') throw s.reason;
      return s.value;
    });
    return both as never;
  }

  /** Runs `send` with the socket corked, so that every message it writes leaves in one write. */
  #corked<T>(send: () => T): T {
    const stream = this.connection.stream;
    stream.cork();
    try {
      return send();
    } finally {
      stream.uncork();
    }
  }
}
