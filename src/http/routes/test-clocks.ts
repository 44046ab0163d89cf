import { z } from 'zod';
import { advanceTestClock, createTestClock, getTestClock } from '../../app/test-clocks.js';
import type { AppContext } from '../../app/context.js';
import { Instant } from '../schemas.js';
import type { Api } from '../types.js';

const TestClock = z.object({ id: z.string(), frozen_time: z.string() }).meta({ id: 'TestClock' });
const Body = z.object({ frozen_time: Instant });
const tags = ['Test clocks'];

export function testClockRoutes(app: Api, { database, clock }: AppContext): void {
  app.post(
    '/api/v1/test_clocks',
    { config: { idempotent: true }, schema: { tags, summary: 'Create a test clock', body: Body, response: { 201: TestClock } } },
    async (request, reply) => {
      const view = await database.transaction((tx) => createTestClock(tx, clock, request.body.frozen_time));
      return reply.code(201).send(view);
    },
  );
  app.get(
    '/api/v1/test_clocks/:id',
    { schema: { tags, summary: 'Read a test clock', params: z.object({ id: z.string() }), response: { 200: TestClock } } },
    async (request) => database.transaction((tx) => getTestClock(tx, request.params.id)),
  );
  app.post(
    '/api/v1/test_clocks/:id/advance',
    {
      schema: {
        tags,
        summary: 'Move a test clock forward (never backward: 400)',
        params: z.object({ id: z.string() }),
        body: Body,
        response: { 200: TestClock },
      },
    },
    async (request) => database.transaction((tx) => advanceTestClock(tx, request.params.id, request.body.frozen_time)),
  );
}
