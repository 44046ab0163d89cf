import type { AppContext } from '../../app/context.js';
import type { Api } from '../types.js';

/** /healthz: the process answers. /readyz: the database answers too. */
export function healthRoutes(app: Api, context: AppContext): void {
  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    try {
      await context.database.ping();
      return { status: 'ready', database: context.database.kind };
    } catch (err) {
      request.log.warn({ err }, 'database not ready');
      return reply.code(503).send({ status: 'unavailable', database: context.database.kind });
    }
  });
}
