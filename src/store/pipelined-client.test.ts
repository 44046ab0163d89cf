// Proves that a transaction's last statement run through executeLast commits with it or not at
// all, on both backends, and, on PostgreSQL, that PipelinedClient sends BEGIN with the first
// statement and COMMIT with the last (two socket writes for a two-statement transaction, not four)
// without changing what commits: a failure anywhere commits nothing, a statement after the commit
// is refused, and the pool's connections come back idle, with no transaction left open.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backend, openTestDatabase } from '../../test/support/db.js';
import { countSocketWrites } from '../../test/support/socket-writes.js';
import { executeLast, executePrepared, sendTogether, type Database } from './db.js';
import { PipelinedClient } from './pipelined-client.js';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
  await database.transaction((tx) => tx.execute(sql`create table pipeline_probe (id int primary key, note text not null)`));
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await database.transaction((tx) => tx.execute(sql`delete from pipeline_probe`));
});

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;
const ids = async () => database.transaction(async (tx) => rowsOf<{ id: number }>(await tx.execute(sql`select id from pipeline_probe order by id`)).map((r) => r.id));
/** Rejects with PostgreSQL's unique violation (23505), directly or as the cause drizzle wraps. */
const uniqueViolation = (error: unknown) => {
  const e = error as { code?: string; cause?: { code?: string } };
  return (e.code ?? e.cause?.code) === '23505';
};
const insert = (id: number) => sql`insert into pipeline_probe (id, note) values (${id}, ${`row ${id}`})`;

describe(`executeLast on ${backend}`, () => {
  it('commits the transaction with its statement', async () => {
    await database.transaction(async (tx) => {
      await tx.execute(insert(1));
      await executeLast(tx, insert(2));
    });
    expect(await ids()).toEqual([1, 2]);
  });

  it('commits nothing when its statement fails, and throws the statement’s error', async () => {
    await database.transaction((tx) => tx.execute(insert(7)));
    const failing = database.transaction(async (tx) => {
      await tx.execute(insert(1));
      await executeLast(tx, insert(7)); // duplicate key
    });
    await expect(failing).rejects.toSatisfy(uniqueViolation);
    expect(await ids()).toEqual([7]);
    // The connection that failed is usable again.
    await database.transaction(async (tx) => executeLast(tx, insert(3)));
    expect(await ids()).toEqual([3, 7]);
  });

  it('inside a savepoint, leaves the transaction around it open: its rollback undoes the statement', async () => {
    const attempt = database.transaction(async (tx) => {
      await tx.execute(insert(1));
      await tx.transaction(async (inner) => executeLast(inner, insert(2)));
      await tx.execute(insert(3));
      throw new Error('the outer transaction rolls back');
    });
    await expect(attempt).rejects.toThrow('the outer transaction rolls back');
    expect(await ids()).toEqual([]);
  });

  it('keeps concurrent transactions apart: exactly the ones that succeeded are stored', async () => {
    // 60 transactions over the pool at once; every third one's last statement hits a taken key.
    await database.transaction((tx) => tx.execute(insert(1_000)));
    const runs = Array.from({ length: 60 }, (_, i) =>
      database
        .transaction(async (tx) => {
          await tx.execute(insert(i));
          await tx.execute(sql`select pg_sleep(${(i % 4) / 1000})`);
          await executeLast(tx, i % 3 === 0 ? insert(1_000) : insert(100 + i));
        })
        .then(
          () => 'ok' as const,
          () => 'failed' as const,
        ),
    );
    const outcomes = await Promise.all(runs);
    const expected = outcomes.flatMap((o, i) => (o === 'ok' ? [i, 100 + i] : []));
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(20);
    expect(await ids()).toEqual([...expected, 1_000].sort((a, b) => a - b));
  });
});

describe.skipIf(backend !== 'postgres')('PipelinedClient on PostgreSQL', () => {
  const countWrites = () => countSocketWrites(database.pool!);

  it('sends statements handed over together in one write, and runs them in that order', async () => {
    const writes = countWrites();
    const before = writes.total();
    await database.transaction(async (tx) => {
      const { sent, handedOver } = sendTogether(tx, () => [executePrepared(tx, insert(1)), executePrepared(tx, sql`select count(*)::int as n from pipeline_probe`)] as const);
      expect(handedOver).toBe(2);
      // drizzle's tx.execute sends only once awaited: together, it is not counted as handed over.
      expect(sendTogether(tx, () => tx.execute(sql`select 1`)).handedOver).toBe(0);
      const [, counted] = await Promise.all(sent);
      expect(counted.rows).toEqual([{ n: 1 }]); // the count ran after the insert
      await executeLast(tx, insert(2));
    });
    // [BEGIN, insert, count], [insert, COMMIT]: the lazy `select 1` was never awaited, so never sent.
    expect(writes.total() - before).toBe(2);
    expect(await ids()).toEqual([1, 2]);
  });

  it('is the pool’s client', async () => {
    const client = await database.pool!.connect();
    try {
      expect(client).toBeInstanceOf(PipelinedClient);
    } finally {
      client.release();
    }
  });

  it('sends BEGIN with the first statement and COMMIT with the last: two writes for two statements', async () => {
    const writes = countWrites();
    await database.transaction(async () => undefined); // checks a connection out once (it sends nothing), so the count starts from an open connection
    const before = writes.total();
    await database.transaction(async (tx) => {
      await tx.execute(insert(1));
      await executeLast(tx, insert(2));
    });
    expect(writes.total() - before).toBe(2);
    expect(await ids()).toEqual([1, 2]);
    // Without executeLast, COMMIT is a round trip of its own: three writes.
    const middle = writes.total();
    await database.transaction(async (tx) => {
      await tx.execute(insert(3));
      await tx.execute(insert(4));
    });
    expect(writes.total() - middle).toBe(3);
  });

  it('still runs both statements in one transaction: the second sees the first’s uncommitted row, others do not', async () => {
    await database.transaction(async (tx) => {
      await tx.execute(insert(1));
      const inside = rowsOf<{ n: number }>(await tx.execute(sql`select count(*)::int as n from pipeline_probe`))[0]!;
      const outside = await database.pool!.query<{ n: number }>('select count(*)::int as n from pipeline_probe');
      expect(inside.n).toBe(1);
      expect(outside.rows[0]!.n).toBe(0);
      await executeLast(tx, insert(2));
    });
    expect(await ids()).toEqual([1, 2]);
  });

  it('refuses a statement after the commit, and the committed work stays', async () => {
    const attempt = database.transaction(async (tx) => {
      await executeLast(tx, insert(1));
      await tx.execute(insert(2));
    });
    await expect(attempt).rejects.toSatisfy((e: Error) => /after queryThenCommit/.test(String((e.cause as Error | undefined)?.message)));
    expect(await ids()).toEqual([1]);
  });

  it('sends nothing for a transaction that ends before its first statement, and rolls back one whose first statement fails', async () => {
    const writes = countWrites();
    await database.transaction(async () => undefined);
    const before = writes.total();
    await expect(
      database.transaction(async () => {
        throw new Error('refused before any statement');
      }),
    ).rejects.toThrow('refused before any statement');
    expect(writes.total()).toBe(before);
    await database.transaction((tx) => tx.execute(insert(5)));
    await expect(database.transaction((tx) => tx.execute(insert(5)))).rejects.toSatisfy(uniqueViolation);
    expect(await ids()).toEqual([5]);
  });

  it('forgets a BEGIN never sent when the client goes back to the pool', async () => {
    const pool = database.pool!;
    const first = await pool.connect();
    await first.query('begin');
    first.release();
    // The pool hands out its most recently released client; any client must start outside a transaction.
    const clients = await Promise.all(Array.from({ length: pool.options.max }, () => pool.connect()));
    try {
      for (const client of clients) {
        await client.query('select 1');
        expect(client.getTransactionStatus()).toBe('I');
      }
    } finally {
      for (const c of clients) c.release();
    }
  });

  it('returns every connection to the pool idle, with no transaction open', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        database
          .transaction(async (tx) => {
            await tx.execute(insert(i));
            if (i % 2 === 0) await executeLast(tx, insert(i + 100));
            if (i % 5 === 0) throw new Error('rolled back');
          })
          .catch(() => undefined),
      ),
    );
    const pool = database.pool!;
    const clients = await Promise.all(Array.from({ length: pool.options.max }, () => pool.connect()));
    try {
      expect(clients.map((c) => c.getTransactionStatus())).toEqual(clients.map(() => 'I'));
      const open = await clients[0]!.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`,
      );
      expect(open.rows[0]!.n).toBe(0);
    } finally {
      for (const c of clients) c.release();
    }
    // i % 5 == 0 rolled back (0 and 10 after their last statement committed: they stay).
    const expected = Array.from({ length: 20 }, (_, i) => i).flatMap((i) => (i % 2 === 0 ? [i, i + 100] : i % 5 === 0 ? [] : [i]));
    expect(await ids()).toEqual(expected.sort((a, b) => a - b));
  });
});
