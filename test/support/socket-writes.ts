// Counts the socket writes a PostgreSQL pool's connections make (a corked batch is one): how the
// round trips of a transaction are measured (pipelined-client.test.ts, events-round-trips.test.ts).
import type pg from 'pg';

/** Counts from now on, on every connection the pool hands out (each counter wraps the sockets for itself). */
export function countSocketWrites(pool: pg.Pool): { total: () => number } {
  let writes = 0;
  const counted = new WeakSet<object>();
  const instrument = (client: pg.PoolClient) => {
    const stream = client.connection.stream as unknown as { _write: (...a: unknown[]) => unknown; _writev?: (...a: unknown[]) => unknown };
    if (counted.has(stream)) return;
    counted.add(stream);
    const write = stream._write.bind(stream);
    stream._write = (...a: unknown[]) => ((writes += 1), write(...a));
    const writev = stream._writev?.bind(stream);
    if (writev) stream._writev = (...a: unknown[]) => ((writes += 1), writev(...a));
  };
  pool.on('acquire', instrument);
  return { total: () => writes };
}
