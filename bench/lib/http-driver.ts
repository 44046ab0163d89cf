// A closed-loop HTTP load driver for requests whose bodies depend on earlier answers (events,
// soak traffic): `concurrency` workers, each sending its next request when the last one is answered,
// over keep-alive sockets. Stops issuing at the deadline and waits for what is in flight, so every
// request sent is also answered (or failed) by the time it returns.
import { Agent, request as httpRequest } from 'node:http';

export interface DriverResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export class HttpDriver {
  private readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    concurrency: number,
    private readonly defaultHeaders: Record<string, string> = {},
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<DriverResponse> {
    const url = new URL(path, this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          agent: this.agent,
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method,
          headers: {
            ...this.defaultHeaders,
            ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
            ...headers,
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `worker` in `concurrency` loops until `seconds` have passed; each loop awaits its own request. */
export async function runClosedLoop(concurrency: number, seconds: number, worker: (workerIndex: number) => Promise<void>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, index) => {
      while (performance.now() < deadline) await worker(index);
    }),
  );
  return (performance.now() - started) / 1000;
}
