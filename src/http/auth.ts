// Bearer API keys (api.md "Auth"). Routes under /api/v1 need a key unless marked `public`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Api } from './types.js';
import type { Database } from '../store/db.js';
import { authenticateApiKey } from '../app/api-keys.js';
import { problem, sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: { kind: 'api_key'; id: string; role: string } | { kind: 'session'; id: string; role: string };
  }
  interface FastifyContextConfig {
    /** Reachable without an API key (health, docs, redirects, webhooks with their own signature). */
    public?: boolean;
  }
}

export function registerAuth(app: Api, database: Database): void {
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
    const key = await authenticateApiKey(database, match[1]!);
    if (!key) {
      reply.header('www-authenticate', 'Bearer realm="affable", error="invalid_token"');
      return sendProblem(reply, problem(401, 'api_key_invalid', 'This API key is unknown or has been revoked.'));
    }
    request.principal = { kind: 'api_key', id: key.id, role: key.role };
  });
}
