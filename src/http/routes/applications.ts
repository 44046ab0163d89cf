import { z } from 'zod';
import { and, desc, eq } from 'drizzle-orm';
import { rowsBefore } from '../../store/keyset.js';
import type { AppContext } from '../../app/context.js';
import {
  applyToProgram,
  approveApplication,
  denyApplication,
  dismissApplication,
  type ApplicationRow,
} from '../../app/applications.js';
import { findProgram } from '../../app/programs.js';
import { notFound } from '../../app/errors.js';
import { applications } from '../../store/schema.js';
import { decodeCursor, page, PageQuery } from '../pagination.js';
import { HttpUrl, listEnvelope } from '../schemas.js';
import type { Api } from '../types.js';
import { assertActingFor } from '../auth.js';

const tags = ['Applications'];

const ApplyBody = z.object({
  affiliate_id: z.string().min(1),
  terms_version: z.string().min(1).max(40),
  website: HttpUrl.optional(),
  social_links: z.array(HttpUrl).max(20).optional(),
  answer: z.string().max(5000).optional(),
});
const ReasonBody = z.object({ reason: z.string().trim().min(1).max(1000) });

export const ApplicationOut = z
  .object({
    id: z.string(),
    program_id: z.string(),
    affiliate_id: z.string(),
    status: z.enum(['pending', 'approved', 'denied', 'dismissed']),
    terms_version: z.string(),
    terms_accepted_at: z.string(),
    website: z.string().nullable(),
    social_links: z.array(z.string()),
    answer: z.string().nullable(),
    reason: z.string().nullable(),
    decided_at: z.string().nullable(),
    dismissed_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Application' });

export function applicationView(r: ApplicationRow): z.infer<typeof ApplicationOut> {
  return {
    id: r.id,
    program_id: r.programId,
    affiliate_id: r.affiliateId,
    status: r.status as 'pending',
    terms_version: r.termsVersion,
    terms_accepted_at: r.termsAcceptedAt.toISOString(),
    website: r.website,
    social_links: r.socialLinks,
    answer: r.answer,
    reason: r.reason,
    decided_at: r.decidedAt?.toISOString() ?? null,
    dismissed_at: r.dismissedAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
  };
}

export function applicationRoutes(app: Api, { database, clock, linkCache }: AppContext): void {
  // What a link code resolves to depends on the enrolment: a change clears the click path's cache.
  const changed = <T>(value: T): T => {
    linkCache.clear();
    return value;
  };
  const IdParams = z.object({ id: z.string() });
  app.post(
    '/api/v1/programs/:slug/applications',
    {
      config: { idempotent: true, affiliate: true },
      schema: { tags, summary: 'Apply to a program (R1.1–R1.2)', params: z.object({ slug: z.string() }), body: ApplyBody, response: { 201: ApplicationOut } },
    },
    async (request, reply) => {
      const b = request.body;
      assertActingFor(request, b.affiliate_id);
      const row = await database.transaction((tx) =>
        applyToProgram(tx, clock, {
          program: request.params.slug,
          affiliateId: b.affiliate_id,
          termsVersion: b.terms_version,
          website: b.website,
          socialLinks: b.social_links,
          answer: b.answer,
        }),
      );
      return reply.code(201).send(applicationView(row));
    },
  );
  app.get(
    '/api/v1/programs/:slug/applications',
    {
      schema: {
        tags,
        summary: 'List a program’s applications, newest first',
        params: z.object({ slug: z.string() }),
        querystring: PageQuery.extend({ status: z.enum(['pending', 'approved', 'denied', 'dismissed']).optional() }),
        response: { 200: listEnvelope(ApplicationOut) },
      },
    },
    async (request) =>
      database.transaction(async (tx) => {
        const program = await findProgram(tx, request.params.slug);
        const q = request.query;
        const cursor = decodeCursor(q.cursor);
        const rows = await tx
          .select()
          .from(applications)
          .where(
            and(
              eq(applications.programId, program.id),
              q.status ? eq(applications.status, q.status) : undefined,
              cursor ? rowsBefore(applications.createdAt, applications.id, [cursor.at, cursor.id]) : undefined,
            ),
          )
          .orderBy(desc(applications.createdAt), desc(applications.id))
          .limit(q.limit + 1);
        return page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }), applicationView);
      }),
  );
  app.get(
    '/api/v1/applications/:id',
    { schema: { tags, summary: 'Read an application', params: IdParams, response: { 200: ApplicationOut } } },
    async (request) =>
      database.transaction(async (tx) => {
        const rows = await tx.select().from(applications).where(eq(applications.id, request.params.id));
        if (!rows[0]) throw notFound('application', request.params.id);
        return applicationView(rows[0]);
      }),
  );
  app.post(
    '/api/v1/applications/:id/approve',
    { schema: { tags, summary: 'Approve a pending application', params: IdParams, response: { 200: ApplicationOut } } },
    async (request) => applicationView(changed(await database.transaction((tx) => approveApplication(tx, clock, request.params.id)))),
  );
  app.post(
    '/api/v1/applications/:id/deny',
    { schema: { tags, summary: 'Deny a pending application with a reason', params: IdParams, body: ReasonBody, response: { 200: ApplicationOut } } },
    async (request) => applicationView(changed(await database.transaction((tx) => denyApplication(tx, clock, request.params.id, request.body.reason)))),
  );
  app.post(
    '/api/v1/applications/:id/dismiss',
    { schema: { tags, summary: 'Dismiss an approved affiliate (R1.2)', params: IdParams, body: ReasonBody, response: { 200: ApplicationOut } } },
    async (request) => applicationView(changed(await database.transaction((tx) => dismissApplication(tx, clock, request.params.id, request.body.reason)))),
  );
}
