// Idempotency-Key for creating POSTs (api.md Conventions; Formance's log_process.go): the key is
// stored with a hash of the request before the work runs, so two racing requests with one key
// cannot both create. Same key + same body → the first answer; same key + another body → 422.
import { and, eq } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Api } from './types.js';
import type { Database } from '../store/db.js';
import { idempotencyKeys } from '../store/schema.js';
import type { Clock } from '../app/clock.js';
import { sha256 } from '../app/hashing.js';
import { problem, sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { principal: string; key: string };
  }
  interface FastifyContextConfig {
    /** A creating POST: honours the Idempotency-Key header. */
    idempotent?: boolean;
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function requestHash(request: FastifyRequest): string {
  return sha256(`${request.method} ${request.routeOptions.url}\n${JSON.stringify(request.params)}\n${canonicalJson(request.body)}`);
}

/** JSON with sorted keys, so that `{a,b}` and `{b,a}` are the same body. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function registerIdempotency(app: Api, database: Database, clock: Clock): void {
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'POST' || !request.routeOptions.config.idempotent) return;
    const raw = request.headers['idempotency-key'];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? raw[0] ?? '' : raw;
    if (!KEY_PATTERN.test(key)) {
      return sendProblem(reply, problem(400, 'idempotency_key_invalid', 'Idempotency-Key must be 1–255 printable ASCII characters.'));
    }
    const principal = request.principal?.id ?? 'anonymous';
    const hash = requestHash(request);
    const inserted = await database.db
      .insert(idempotencyKeys)
      .values({ principal, key, requestHash: hash, state: 'running', createdAt: clock.now() })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) {
      request.idempotency = { principal, key };
      return;
    }
    const rows = await database.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key)));
    const first = rows[0];
    if (!first) return; // released by a failed first attempt a moment ago: run normally without replay
    if (first.requestHash !== hash) {
      return sendProblem(
        reply,
        problem(422, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request; use a new key for a new request.'),
      );
    }
    if (first.state !== 'done') {
      return sendProblem(reply, problem(409, 'idempotency_key_in_flight', 'A request with this Idempotency-Key is still being processed; retry shortly.'));
    }
    reply.header('idempotent-replayed', 'true');
    const body = first.responseBody as Record<string, unknown>;
    if ((first.statusCode ?? 200) >= 400) reply.type('application/problem+json');
    return reply.code(first.statusCode ?? 200).send(body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem) return payload;
    const where = and(eq(idempotencyKeys.principal, idem.principal), eq(idempotencyKeys.key, idem.key));
    if (reply.statusCode >= 500) {
      // A failure on our side is not an answer: release the key so that a retry can run.
      await database.db.delete(idempotencyKeys).where(where);
      return payload;
    }
    let body: unknown;
    try {
      body = typeof payload === 'string' ? JSON.parse(payload) : null;
    } catch {
      body = null;
    }
    await database.db.update(idempotencyKeys).set({ state: 'done', statusCode: reply.statusCode, responseBody: body }).where(where);
    return payload;
  });
}
