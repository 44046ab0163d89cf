// The benches' baseline: a bare node:http server that records nothing. It shows what the machine
// and the load generator can do at all, so Affable's figure is read as a ratio to it.
// - GET /r/<code>: the same 302 as Affable (a fresh click id from the same CSPRNG id maker in the
//   Location and in the same Set-Cookie, cache-control, x-request-id).
// - POST /api/v1/events: reads and parses the JSON body and answers 201 with an event result.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { newId } from '../src/store/ids.js';

const landingUrl = process.env['BARE_LANDING_URL'] ?? 'https://merchant.example/start?utm=bench';
const cookieMaxAge = 30 * 86_400;
const port = Number(process.env['PORT'] ?? 0);

const server = createServer((request, response) => {
  if (request.url === '/readyz') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    return;
  }
  if (request.method === 'POST' && request.url === '/api/v1/events') {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; type: string };
      const answer = JSON.stringify({ id: body.id, duplicate: false, type: body.type, occurred_at: new Date().toISOString(), commissions: [], reasons: [] });
      response.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': randomUUID() }).end(answer);
    });
    return;
  }
  if (request.method !== 'GET' || !request.url?.startsWith('/r/')) {
    response.writeHead(404).end();
    return;
  }
  const clickId = newId('clk');
  const target = new URL(landingUrl);
  target.searchParams.set('aff_click', clickId);
  response.writeHead(302, {
    'cache-control': 'no-store',
    'set-cookie': `aff_click=${clickId}; Max-Age=${cookieMaxAge}; Path=/; HttpOnly; SameSite=Lax`,
    location: target.toString(),
    'x-request-id': randomUUID(),
    'content-length': '0',
  });
  response.end();
});
// Fastify's default keep-alive timeout, so both servers hold connections alike.
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
