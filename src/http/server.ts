// The HTTP server: the API under /api/v1, the redirect, health checks and the reference page.
// Routes are thin: parse with zod, call one use case, render (style §1, Medusa).
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Api } from './types.js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app/context.js';
import { registerAuth } from './auth.js';
import { registerIdempotency } from './idempotency.js';
import { problem, sendProblem, toProblem } from './problem.js';
import { healthRoutes } from './routes/health.js';
import { testClockRoutes } from './routes/test-clocks.js';
import { programRoutes } from './routes/programs.js';
import { affiliateRoutes } from './routes/affiliates.js';
import { applicationRoutes } from './routes/applications.js';
import { registerSessions, type RouteEntry } from './session.js';
import { portalRoutes } from './routes/portal.js';
import { consoleRoutes } from './routes/console.js';
import { webRoutes } from './routes/web.js';
import { redirectRoutes, trackingRoutes } from './routes/tracking.js';
import { demoRoutes } from './routes/demo.js';
import { eventRoutes } from './routes/events.js';
import { statementRoutes } from './routes/statements.js';
import { payoutRoutes } from './routes/payouts.js';
import { payoutAccountRoutes } from './routes/payout-accounts.js';
import { mailboxRoutes } from './routes/mailbox.js';

export interface ServerOptions {
  context: AppContext;
  logger: Logger;
  bodyLimitBytes?: number;
  /** Extra route plugins (tracking, payouts, the web UI) registered by the composition root. */
  plugins?: Array<(app: Api, context: AppContext) => Promise<void> | void>;
  /** Where the built web UI lives (default dist/web); tests point it at a fixture. */
  webRoot?: string | undefined;
}

/** How far past the body limit a refused body is still read (and discarded) so its client gets the 413. */
const DRAIN_FACTOR = 8;

export async function buildServer(options: ServerOptions): Promise<Api> {
  const { context } = options;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    trustProxy: true,
  }).withTypeProvider<ZodTypeProvider>();

  // A body declared larger than the limit is refused before anything reads it. Fastify would answer
  // 413 and close the connection at once; a client still sending its body then gets a connection
  // reset instead of the answer (the soak's 2 MB events did). Up to DRAIN_FACTOR × the limit, the
  // server reads the rest of the body and throws it away, so the client reads the 413 and keeps
  // its connection (a "lingering close", RFC 9112 §9.6); beyond that it closes, as Fastify does.
  const bodyLimit = options.bodyLimitBytes ?? 1_048_576;
  app.addHook('onRequest', (request, reply, done) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!(declared > bodyLimit)) return done();
    if (declared > bodyLimit * DRAIN_FACTOR) reply.header('connection', 'close');
    else request.raw.resume();
    void sendProblem(reply, problem(413, 'fst_err_ctp_body_too_large', `The body is ${declared} bytes; the limit is ${bodyLimit}.`));
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Hooks that run on every request are written with `done`, not `async`: a promise per hook per
  // request is measurable on the click redirect (bench/redirect.ts).
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  app.setErrorHandler((error, request, reply) => {
    const p = toProblem(error, request);
    p.instance = request.url.split('?')[0];
    return sendProblem(reply, p);
  });
  // The click redirect is registered at the root, outside the API's scope below: it runs only the
  // hooks above (body limit, x-request-id) and none of the API's (cookies, sessions, API keys,
  // idempotency: five promises and two cookie passes per click, and it reads none of them).
  // Fastify gives a scope's hooks to every route of the scope and of its children, whenever they
  // are added, so a scope is the only way to keep a hook off a route.
  redirectRoutes(app, context);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Affable API',
        version: '1.0.0',
        description:
          'The public HTTP API of Affable, a self-hostable affiliate-program engine. Money is integer minor units; instants are RFC 3339 UTC; errors are RFC 9457 problem+json.',
      },
      servers: [{ url: context.publicUrl }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });

  // Every route but the redirect lives in this scope, with the API's hooks.
  const routeCatalog: RouteEntry[] = [];
  app.decorate('routeCatalog', routeCatalog);
  await app.register(async (scoped) => {
    const api = scoped.withTypeProvider<ZodTypeProvider>();
    // Sessions first: a valid session cookie sets request.principal, and auth.ts then skips the API key.
    await registerSessions(api, context, routeCatalog);
    registerAuth(api, context.apiKeyCache);
    registerIdempotency(api, context.database, context.clock);

    // Here, not at the root, so that an unknown /api/ route meets the API key check first, as a known one does.
    api.setNotFoundHandler((request, reply) => {
      if (request.url.startsWith('/api/')) {
        return sendProblem(reply, problem(404, 'route_not_found', `No route ${request.method} ${request.url.split('?')[0]}.`));
      }
      return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage());
    });

    api.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

    healthRoutes(api, context);
    testClockRoutes(api, context);
    programRoutes(api, context);
    affiliateRoutes(api, context);
    applicationRoutes(api, context);
    trackingRoutes(api, context);
    demoRoutes(api, context);
    eventRoutes(api, context);
    statementRoutes(api, context);
    portalRoutes(api, context);
    consoleRoutes(api, context);
    webRoutes(api, { root: options.webRoot });
    payoutRoutes(api, context);
    payoutAccountRoutes(api, context);
    mailboxRoutes(api, context);
    for (const plugin of options.plugins ?? []) await plugin(api, context);

    // Mail is written to the outbox inside each decision's transaction; after a request that may
    // have committed one, kick delivery: the mail.deliver job when jobs run (src/jobs/mail.ts),
    // else a pass in this process (coalesced either way; a no-op without SMTP).
    api.addHook('onResponse', (request, reply, done) => {
      if (context.mail && request.method !== 'GET' && reply.statusCode < 400) context.mail.kick();
      done();
    });
  });

  app.addHook('onClose', async () => {
    await context.clickRecorder.close();
  });

  return app;
}

export type App = Awaited<ReturnType<typeof buildServer>>;

function notFoundPage(): string {
  return '<!doctype html><html lang="en"><meta charset="utf-8"><title>Not found</title><body style="font-family:system-ui;margin:4rem auto;max-width:32rem"><h1>Not found</h1><p>This link does not exist. Check that it was copied completely.</p></body></html>';
}
