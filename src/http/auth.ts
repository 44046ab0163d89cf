// Bearer API keys (api.md "Auth"). Routes under /api/v1 need a key unless marked `public`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Api } from './types.js';
import type { ApiKeyCache } from '../app/api-keys.js';
import { problem, sendProblem } from './problem.js';
import { notFound } from '../app/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: { kind: 'api_key'; id: string; role: string } | { kind: 'session'; id: string; role: string };
  }
  interface FastifyContextConfig {
    /** Reachable without an API key (health, docs, redirects, webhooks with their own signature). */
    public?: boolean;
    /**
     * An affiliate's own session may call it too (the portal). The handler must then call
     * `assertActingFor(request, affiliateId)`. Without this flag only admins may call a route.
     */
    affiliate?: boolean;
  }
}

export function registerAuth(app: Api, apiKeys: ApiKeyCache): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config.public) return;
    if (!request.url.startsWith('/api/') || request.url.startsWith('/api/v1/docs')) return;
    if (request.principal) return; // a session set it (portal/console routes)
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      reply.header('www-authenticate', 'Bearer realm="affable"');
      return sendProblem(reply, problem(401, 'api_key_missing', 'Send your API key as "Authorization: Bearer <key>".'));
    }
    const key = await apiKeys.authenticate(match[1]!);
    if (!key) {
      reply.header('www-authenticate', 'Bearer realm="affable", error="invalid_token"');
      return sendProblem(reply, problem(401, 'api_key_invalid', 'This API key is unknown or has been revoked.'));
    }
    request.principal = { kind: 'api_key', id: key.id, role: key.role };
  });
  app.addHook('preHandler', async (request, reply) => {
    const principal = request.principal;
    if (!principal || principal.role !== 'affiliate') return;
    if (!request.routeOptions.config.affiliate) {
      return sendProblem(reply, problem(403, 'admin_only', 'This endpoint is for program admins.'));
    }
  });
}

/**
 * An affiliate may act only for themselves: any other affiliate's id is answered as if it did
 * not exist (404), so ids cannot be probed. Admins may act for anyone.
 */
export function assertActingFor(request: FastifyRequest, affiliateId: string): void {
  const principal = request.principal;
  if (principal?.role === 'affiliate' && principal.id !== affiliateId) throw notFound('affiliate', affiliateId);
}
