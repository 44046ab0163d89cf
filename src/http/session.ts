// Cookie sessions for the portal and the console, and what a session may reach.
//
// The hook runs before the API-key check (auth.ts skips when `request.principal` is set):
// - a request with an `Authorization` header is an API-key request: the cookie is ignored, and
//   API keys need no CSRF token (a browser never sends one on its own);
// - a valid session cookie sets `request.principal = {kind: 'session', id, role}`;
// - a state-changing request authenticated by the cookie must carry `x-csrf-token` equal to the
//   session's token (given to the SPA by GET /api/v1/session), else 403 before anything runs;
// - an affiliate's session reaches only routes marked `config.affiliate`, and only its own id:
//   `/api/v1/affiliates/:id/…`, `?affiliate_id=` and a body's `affiliate_id` naming anyone else
//   are answered 404 here, before validation, as if that affiliate did not exist. Handlers still
//   call `assertActingFor`; this is the second lock on the same door.
import cookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { findSession, type CreatedSession, type SessionRow } from '../app/sessions.js';
import { sha256 } from '../app/hashing.js';
import { problem, sendProblem } from './problem.js';
import type { Api } from './types.js';

export const SESSION_COOKIE = 'affable_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The live session named by the cookie, on any /api/ route (public ones included). */
    userSession?: SessionRow & { token: string };
  }
  interface FastifyInstance {
    /** Every API route with who may call it: the authorization tests walk this list. */
    routeCatalog: RouteEntry[];
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  public: boolean;
  affiliate: boolean;
}

/** Registers cookies and sessions on `app` (the API's scope) and lists its routes in `catalog`. */
export async function registerSessions(app: Api, context: AppContext, catalog: RouteEntry[]): Promise<void> {
  await app.register(cookie);

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.url.startsWith('/api/v1/docs')) return;
    const config = (route.config ?? {}) as { public?: boolean; affiliate?: boolean };
    for (const method of ([] as string[]).concat(route.method)) {
      if (method === 'HEAD') continue;
      catalog.push({ method, url: route.url, public: !!config.public, affiliate: !!config.affiliate });
    }
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.url.startsWith('/api/')) return;
    if (request.headers.authorization !== undefined) return;
    const token = request.cookies[SESSION_COOKIE];
    if (!token) return;
    const row = await findSession(context.database.db, context.clock, token);
    if (!row) return;
    request.userSession = { ...row, token };
    const config = request.routeOptions.config;
    // Public routes (login, sign-up, GET/DELETE session) read `userSession` themselves.
    if (config.public) return;
    if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== row.csrfToken) {
      return sendProblem(reply, problem(403, 'csrf_failed', 'This request lacks the session’s CSRF token (x-csrf-token). Reload the page and try again.'));
    }
    const role = row.principalKind;
    if (role === 'affiliate') {
      if (!config.affiliate) return sendProblem(reply, problem(403, 'admin_only', 'This endpoint is for program admins.'));
      const other = otherAffiliateIn(request, row.principalId);
      if (other) return sendProblem(reply, problem(404, 'affiliate_not_found', `No affiliate with id "${other}".`));
    }
    request.principal = { kind: 'session', id: row.principalId, role };
  });

  // A body's `affiliate_id` is known only once the body is parsed.
  app.addHook('preValidation', async (request, reply) => {
    const principal = request.principal;
    if (principal?.kind !== 'session' || principal.role !== 'affiliate') return;
    const body = request.body as Record<string, unknown> | null | undefined;
    const named = body && typeof body === 'object' ? body['affiliate_id'] : undefined;
    if (typeof named === 'string' && named !== principal.id) {
      return sendProblem(reply, problem(404, 'affiliate_not_found', `No affiliate with id "${named}".`));
    }
  });
}

/** The id of another affiliate that an affiliate's request names in its path or query, if any. */
function otherAffiliateIn(request: FastifyRequest, self: string): string | undefined {
  const url = request.routeOptions.url ?? '';
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  if (url.startsWith('/api/v1/affiliates/:id') && params['id'] !== undefined && params['id'] !== self) return params['id'];
  const query = (request.query ?? {}) as Record<string, unknown>;
  const named = query['affiliate_id'];
  if (typeof named === 'string' && named !== self) return named;
  return undefined;
}

function secureCookie(request: FastifyRequest, publicUrl: string): boolean {
  return request.protocol === 'https' || publicUrl.startsWith('https:');
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, publicUrl: string, session: CreatedSession): void {
  reply.setCookie(SESSION_COOKIE, session.token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: secureCookie(request, publicUrl),
    expires: session.expiresAt,
  });
  reply.header('cache-control', 'no-store');
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, publicUrl: string): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', path: '/', secure: secureCookie(request, publicUrl) });
  reply.header('cache-control', 'no-store');
}

/** The hash under which the current request's session is stored (to keep it on a password change). */
export function currentSessionHash(request: FastifyRequest): string | undefined {
  return request.userSession ? sha256(request.userSession.token) : undefined;
}
