// The admin console's own endpoints: admin login, API keys, marketing materials (R9.2), and the
// read models the console lists (affiliates by search, the application queue with names, fraud
// flags from self-referrals (R4.5), customers to reassign (R3.2)). All admin-only.
import { z } from 'zod';
import { and, asc, desc, eq, ilike, inArray, or, sql } from 'drizzle-orm';
import type { AppContext } from '../../app/context.js';
import { loginAdmin } from '../../app/accounts.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../app/api-keys.js';
import { findProgram } from '../../app/programs.js';
import { notFound } from '../../app/errors.js';
import { newId } from '../../store/ids.js';
import { affiliates, applications, commissions, marketingMaterials, programs, subscriptions } from '../../store/schema.js';
import type { Api } from '../types.js';
import { HttpUrl } from '../schemas.js';
import { answerLogin, materialView, MaterialOut, SessionOut } from './portal.js';
import { applicationView, ApplicationOut } from './applications.js';

const tags = ['Console'];

const ApiKeyOut = z
  .object({ id: z.string(), name: z.string(), prefix: z.string(), created_at: z.string(), revoked_at: z.string().nullable() })
  .meta({ id: 'ApiKey' });

const MaterialBody = z.object({
  kind: z.enum(['banner', 'email', 'text']),
  title: z.string().trim().min(1).max(200),
  body: z.string().max(20_000),
  image_url: HttpUrl.nullable().optional(),
});

/** R3.2: a customer may be reassigned within 30 days of the subscription's first event. */
const REASSIGN_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

export function consoleRoutes(app: Api, context: AppContext): void {
  const { database, clock } = context;

  app.post(
    '/api/v1/console/session',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Admin login (email and password); repeated failures slow down, then lock (R10.3)',
        body: z.object({ email: z.string().trim().min(1).max(254), password: z.string().min(1).max(200) }),
        response: { 200: SessionOut },
      },
    },
    async (request, reply) => {
      const outcome = await loginAdmin(database, clock, request.body.email, request.body.password);
      return answerLogin(context, request, reply, outcome, 'admin');
    },
  );

  // --- API keys --------------------------------------------------------------------------------
  app.get('/api/v1/api_keys', { schema: { tags, summary: 'List API keys (never their secrets)', response: { 200: z.object({ data: z.array(ApiKeyOut) }) } } }, async () =>
    database.transaction(async (tx) => ({
      data: (await listApiKeys(tx)).map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        created_at: k.createdAt.toISOString(),
        revoked_at: k.revokedAt?.toISOString() ?? null,
      })),
    })),
  );
  app.post(
    '/api/v1/api_keys',
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Create an API key; its secret is shown once, in this answer',
        body: z.object({ name: z.string().trim().min(1).max(80) }),
        response: { 201: ApiKeyOut.extend({ secret: z.string() }) },
      },
    },
    async (request, reply) => {
      const key = await database.transaction((tx) => createApiKey(tx, clock, { name: request.body.name }));
      return reply.code(201).send({ id: key.id, name: key.name, prefix: key.prefix, secret: key.secret, created_at: clock.now().toISOString(), revoked_at: null });
    },
  );
  app.post(
    '/api/v1/api_keys/:id/revoke',
    { schema: { tags, summary: 'Revoke an API key', params: z.object({ id: z.string() }), response: { 200: z.object({ id: z.string(), revoked: z.literal(true) }) } } },
    async (request) => {
      await database.transaction((tx) => revokeApiKey(tx, clock, request.params.id));
      context.apiKeyCache.clear(); // revoked now, not at the end of the cache's TTL
      return { id: request.params.id, revoked: true as const };
    },
  );

  // --- marketing materials (R9.2) -------------------------------------------------------------
  const SlugParams = z.object({ slug: z.string() });
  app.get(
    '/api/v1/programs/:slug/materials',
    { schema: { tags, summary: 'A program’s marketing materials, with the {{link}} placeholder', params: SlugParams, response: { 200: z.object({ data: z.array(MaterialOut) }) } } },
    async (request) =>
      database.transaction(async (tx) => {
        const program = await findProgram(tx, request.params.slug);
        const rows = await tx.select().from(marketingMaterials).where(eq(marketingMaterials.programId, program.id)).orderBy(asc(marketingMaterials.createdAt));
        return { data: rows.map((r) => materialView(r, program.slug, null)) };
      }),
  );
  app.post(
    '/api/v1/programs/:slug/materials',
    {
      config: { idempotent: true },
      schema: { tags, summary: 'Add a banner, email swipe or text; `{{link}}` becomes each affiliate’s link', params: SlugParams, body: MaterialBody, response: { 201: MaterialOut } },
    },
    async (request, reply) => {
      const b = request.body;
      const view = await database.transaction(async (tx) => {
        const program = await findProgram(tx, request.params.slug);
        const row = { id: newId('mat'), programId: program.id, kind: b.kind, title: b.title, body: b.body, imageUrl: b.image_url ?? null, createdAt: clock.now() };
        await tx.insert(marketingMaterials).values(row);
        return materialView(row, program.slug, null);
      });
      return reply.code(201).send(view);
    },
  );
  const MaterialParams = z.object({ slug: z.string(), id: z.string() });
  app.put(
    '/api/v1/programs/:slug/materials/:id',
    { schema: { tags, summary: 'Replace a marketing material', params: MaterialParams, body: MaterialBody, response: { 200: MaterialOut } } },
    async (request) => {
      const b = request.body;
      return database.transaction(async (tx) => {
        const program = await findProgram(tx, request.params.slug);
        const rows = await tx
          .update(marketingMaterials)
          .set({ kind: b.kind, title: b.title, body: b.body, imageUrl: b.image_url ?? null })
          .where(and(eq(marketingMaterials.id, request.params.id), eq(marketingMaterials.programId, program.id)))
          .returning();
        if (!rows[0]) throw notFound('material', request.params.id);
        return materialView(rows[0], program.slug, null);
      });
    },
  );
  app.delete(
    '/api/v1/programs/:slug/materials/:id',
    { schema: { tags, summary: 'Delete a marketing material', params: MaterialParams } },
    async (request, reply) => {
      await database.transaction(async (tx) => {
        const program = await findProgram(tx, request.params.slug);
        const rows = await tx
          .delete(marketingMaterials)
          .where(and(eq(marketingMaterials.id, request.params.id), eq(marketingMaterials.programId, program.id)))
          .returning({ id: marketingMaterials.id });
        if (!rows[0]) throw notFound('material', request.params.id);
      });
      return reply.code(204).send();
    },
  );

  // --- read models for the console ------------------------------------------------------------
  const Enrolment = z.object({ program: z.string(), application_id: z.string(), status: z.string() });
  const AffiliateRowOut = z.object({
    id: z.string(),
    username: z.string(),
    email: z.string(),
    name: z.string(),
    created_at: z.string(),
    enrolments: z.array(Enrolment),
  });
  app.get(
    '/api/v1/console/affiliates',
    {
      schema: {
        tags,
        summary: 'Search affiliates by username, email or name',
        querystring: z.object({ q: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(100).default(50) }),
        response: { 200: z.object({ data: z.array(AffiliateRowOut), has_more: z.boolean() }) },
      },
    },
    async (request) =>
      database.transaction(async (tx) => {
        const q = request.query.q?.trim();
        const pattern = q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
        const rows = await tx
          .select()
          .from(affiliates)
          .where(pattern ? or(ilike(affiliates.username, pattern), ilike(affiliates.email, pattern), ilike(affiliates.name, pattern)) : undefined)
          .orderBy(desc(affiliates.createdAt), desc(affiliates.id))
          .limit(request.query.limit + 1);
        const page = rows.slice(0, request.query.limit);
        const ids = page.map((r) => r.id);
        const apps = ids.length
          ? await tx
              .select({ affiliateId: applications.affiliateId, id: applications.id, status: applications.status, program: programs.slug, createdAt: applications.createdAt })
              .from(applications)
              .innerJoin(programs, eq(programs.id, applications.programId))
              .where(inArray(applications.affiliateId, ids))
              .orderBy(desc(applications.createdAt))
          : [];
        return {
          data: page.map((r) => {
            const latest = new Map<string, { program: string; application_id: string; status: string }>();
            for (const a of apps) {
              if (a.affiliateId === r.id && !latest.has(a.program)) latest.set(a.program, { program: a.program, application_id: a.id, status: a.status });
            }
            return { id: r.id, username: r.username, email: r.email, name: r.name, created_at: r.createdAt.toISOString(), enrolments: [...latest.values()] };
          }),
          has_more: rows.length > request.query.limit,
        };
      }),
  );

  app.get(
    '/api/v1/console/applications',
    {
      schema: {
        tags,
        summary: 'The application queue with each applicant’s name, email and recruiter',
        querystring: z.object({ program: z.string().min(1), status: z.enum(['pending', 'approved', 'denied', 'dismissed']).optional() }),
        response: {
          200: z.object({
            data: z.array(ApplicationOut.extend({ affiliate: z.object({ id: z.string(), username: z.string(), email: z.string(), name: z.string(), recruited_by: z.string().nullable() }) })),
          }),
        },
      },
    },
    async (request) =>
      database.transaction(async (tx) => {
        const program = await findProgram(tx, request.query.program);
        const rows = await tx
          .select({ application: applications, affiliate: affiliates })
          .from(applications)
          .innerJoin(affiliates, eq(affiliates.id, applications.affiliateId))
          .where(and(eq(applications.programId, program.id), request.query.status ? eq(applications.status, request.query.status) : undefined))
          .orderBy(request.query.status === 'pending' ? asc(applications.createdAt) : desc(applications.createdAt))
          .limit(200);
        const recruiterIds = [...new Set(rows.map((r) => r.affiliate.recruitedBy).filter((x): x is string => !!x))];
        const recruiters = recruiterIds.length
          ? await tx.select({ id: affiliates.id, username: affiliates.username }).from(affiliates).where(inArray(affiliates.id, recruiterIds))
          : [];
        const names = new Map(recruiters.map((r) => [r.id, r.username]));
        return {
          data: rows.map((r) => ({
            ...applicationView(r.application),
            affiliate: {
              id: r.affiliate.id,
              username: r.affiliate.username,
              email: r.affiliate.email,
              name: r.affiliate.name,
              recruited_by: r.affiliate.recruitedBy ? (names.get(r.affiliate.recruitedBy) ?? null) : null,
            },
          })),
        };
      }),
  );

  app.get(
    '/api/v1/console/fraud',
    {
      schema: {
        tags,
        summary: 'Self-referral flags (R4.5) grouped by affiliate; repeat offenders first',
        querystring: z.object({ program: z.string().min(1) }),
        response: {
          200: z.object({
            data: z.array(
              z.object({
                affiliate: z.object({ id: z.string(), username: z.string(), email: z.string(), name: z.string() }),
                enrolment: z.object({ application_id: z.string(), status: z.string() }).nullable(),
                flags: z.number(),
                repeat_offender: z.boolean(),
                first_at: z.string(),
                last_at: z.string(),
                payments: z.array(z.object({ commission_id: z.string(), payment_id: z.string(), customer_id: z.string(), earned_at: z.string() })),
              }),
            ),
          }),
        },
      },
    },
    async (request) =>
      database.transaction(async (tx) => {
        const program = await findProgram(tx, request.query.program);
        const rows = await tx
          .select({ c: commissions, a: { id: affiliates.id, username: affiliates.username, email: affiliates.email, name: affiliates.name } })
          .from(commissions)
          .innerJoin(affiliates, eq(affiliates.id, commissions.affiliateId))
          .where(and(eq(commissions.programId, program.id), eq(commissions.status, 'rejected'), eq(commissions.reason, 'self_referral')))
          .orderBy(asc(commissions.earnedAt));
        const groups = new Map<string, { affiliate: (typeof rows)[number]['a']; items: (typeof rows)[number]['c'][] }>();
        for (const r of rows) {
          const g = groups.get(r.a.id) ?? { affiliate: r.a, items: [] };
          g.items.push(r.c);
          groups.set(r.a.id, g);
        }
        const ids = [...groups.keys()];
        const apps = ids.length
          ? await tx
              .select({ id: applications.id, affiliateId: applications.affiliateId, status: applications.status })
              .from(applications)
              .where(and(eq(applications.programId, program.id), inArray(applications.affiliateId, ids)))
              .orderBy(desc(applications.createdAt))
          : [];
        return {
          data: [...groups.values()]
            .map((g) => {
              const app = apps.find((a) => a.affiliateId === g.affiliate.id);
              return {
                affiliate: g.affiliate,
                enrolment: app ? { application_id: app.id, status: app.status } : null,
                flags: g.items.length,
                repeat_offender: g.items.length >= 2,
                first_at: g.items[0]!.earnedAt.toISOString(),
                last_at: g.items[g.items.length - 1]!.earnedAt.toISOString(),
                payments: g.items.map((c) => ({ commission_id: c.id, payment_id: c.paymentId, customer_id: c.customerId, earned_at: c.earnedAt.toISOString() })),
              };
            })
            .sort((a, b) => b.flags - a.flags || b.last_at.localeCompare(a.last_at)),
        };
      }),
  );

  app.get(
    '/api/v1/console/customers',
    {
      schema: {
        tags,
        summary: 'Customers of a program with their subscriptions and who they are credited to (for R3.2 reassignment)',
        querystring: z.object({ program: z.string().min(1), q: z.string().max(200).optional() }),
        response: {
          200: z.object({
            data: z.array(
              z.object({
                customer_id: z.string(),
                email: z.string().nullable(),
                subscriptions: z.array(
                  z.object({
                    id: z.string(),
                    interval: z.string(),
                    first_event_at: z.string(),
                    canceled_at: z.string().nullable(),
                    affiliate: z.object({ id: z.string(), username: z.string() }).nullable(),
                    reassignable_until: z.string(),
                  }),
                ),
              }),
            ),
          }),
        },
      },
    },
    async (request) =>
      database.transaction(async (tx) => {
        const program = await findProgram(tx, request.query.program);
        const q = request.query.q?.trim();
        const pattern = q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
        const rows = await tx
          .select({ s: subscriptions, username: affiliates.username })
          .from(subscriptions)
          .leftJoin(affiliates, eq(affiliates.id, subscriptions.boundAffiliateId))
          .where(
            and(
              eq(subscriptions.programId, program.id),
              pattern ? or(ilike(subscriptions.customerId, pattern), ilike(sql`coalesce(${subscriptions.customerEmail}, '')`, pattern)) : undefined,
            ),
          )
          .orderBy(desc(subscriptions.firstEventAt))
          .limit(200);
        const byCustomer = new Map<string, { customer_id: string; email: string | null; subscriptions: unknown[] }>();
        for (const r of rows) {
          const c = byCustomer.get(r.s.customerId) ?? { customer_id: r.s.customerId, email: r.s.customerEmail, subscriptions: [] };
          c.subscriptions.push({
            id: r.s.externalId,
            interval: r.s.interval,
            first_event_at: r.s.firstEventAt.toISOString(),
            canceled_at: r.s.canceledAt?.toISOString() ?? null,
            affiliate: r.s.boundAffiliateId && r.username ? { id: r.s.boundAffiliateId, username: r.username } : null,
            reassignable_until: new Date(r.s.firstEventAt.getTime() + REASSIGN_WINDOW_MS).toISOString(),
          });
          byCustomer.set(r.s.customerId, c);
        }
        return { data: [...byCustomer.values()] as never };
      }),
  );
}
