// A node-postgres client whose transaction boundaries travel with the statements beside them.
// An event's transaction was five round trips to PostgreSQL (BEGIN, claim, facts, write, COMMIT),
// and each is a socket write and a wake-up on both sides: on a 2-core machine those writes were
// the largest single cost in the server's profile. Here BEGIN waits and leaves in the same write
// as the transaction's first statement, `together` sends statements that do not wait for each
// other in one write (an event's claim and facts), and `queryThenCommit` sends the last statement
// and COMMIT together: two round trips. It relies on node-postgres's pipeline mode (pg 8.23.1,
// pinned in package.json), which sends a queued query without waiting for the one before it to be
// answered.
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
  /** Statements handed to node-postgres so far (boundaries answered here are not). */
  #handedOver = 0;

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
      return this.#answer(new Error('PipelinedClient: a statement after queryThenCommit, before the transaction was closed'), callback);
    }
    this.#handedOver += 1;
    if (!this.#beginPending) return (super.query as (...a: unknown[]) => never)(...args);
    return this.#withBegin(() => (super.query as (...a: unknown[]) => never)(...args), callback);
  }

  /**
   * Runs `send` with the socket corked, so that the statements it hands over without waiting
   * leave in one write (after a pending BEGIN), and PostgreSQL runs them in that order. Answers
   * what `send` answered and how many statements it handed over before returning.
   */
  together<T>(send: () => T): { sent: T; handedOver: number } {
    const before = this.#handedOver;
    const stream = this.connection.stream;
    stream.cork();
    try {
      const sent = send();
      return { sent, handedOver: this.#handedOver - before };
    } finally {
      stream.uncork();
    }
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
    const { begin, sent } = this.#sendAfterBegin(() => [super.query(config), super.query('commit')] as const);
    this.#ended = true;
    const [, result, committed] = await inOrder([begin, ...sent] as const);
    if (committed.command !== 'COMMIT') throw new Error(`PipelinedClient: COMMIT answered ${committed.command}`);
    return result;
  }

  /** Answers a query without sending it, as node-postgres would: to its callback, else as a promise. */
  #answer(outcome: string | Error, callback: Callback | undefined): never {
    const error = outcome instanceof Error ? outcome : null;
    const result = outcome instanceof Error ? undefined : answered(outcome);
    if (callback) {
      process.nextTick(() => callback(error, result));
      return undefined as never;
    }
    return (error ? Promise.reject(error) : Promise.resolve(result)) as never;
  }

  /**
   * Sends the pending BEGIN and then the statement in one write. The statement's answer waits for
   * BEGIN's: were BEGIN refused, the statement must not be taken for part of a transaction.
   */
  #withBegin(send: () => never, callback: Callback | undefined): never {
    const { begin, sent } = this.#sendAfterBegin(send);
    if (callback) {
      // node-postgres calls the statement's callback itself; BEGIN's failure ends the connection.
      begin?.catch((error: unknown) => this.connection.stream.destroy(error instanceof Error ? error : undefined));
      return sent;
    }
    return inOrder([begin, sent as Promise<pg.QueryResult>] as const).then(([, result]) => result) as never;
  }

  /**
   * Runs `send` with the socket corked, after the pending BEGIN if there is one, so that every
   * message leaves in one write. Answers BEGIN's promise (null when none was pending) and what
   * `send` answered.
   */
  #sendAfterBegin<T>(send: () => T): { begin: Promise<pg.QueryResult> | null; sent: T } {
    const stream = this.connection.stream;
    stream.cork();
    try {
      const begin = this.#beginPending ? super.query('begin') : null;
      this.#beginPending = false;
      return { begin, sent: send() };
    } finally {
      stream.uncork();
    }
  }
}

/**
 * Waits for every promise (so none rejects unobserved), then throws the first failure in the
 * order given, or answers every value. A null stands for a statement that was not sent.
 */
async function inOrder<T extends readonly (Promise<unknown> | null)[]>(promises: T): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const outcomes = await Promise.allSettled(promises);
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value) as { [K in keyof T]: Awaited<T[K]> };
}
