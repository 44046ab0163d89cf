import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { programNow } from '../../app/test-clocks.js';
import {
  createProgram,
  findProgram,
  listPrograms,
  updateProgram,
  type ProgramRow,
} from '../../app/programs.js';
import { planFromApi, planToApi, type Plan } from '../../domain/index.js';
import { Currency, HttpUrl, Slug } from '../schemas.js';
import type { Api } from '../types.js';

const tags = ['Programs'];
const Bps = z.number().int().min(0).max(10_000);
const Rates = z.object({ first_bps: Bps, recurring_bps: Bps });
const TierIn = z.object({
  key: z.string().regex(/^[a-z0-9_]{1,40}$/, 'lower-case letters, digits and underscores'),
  name: z.string().min(1).max(80),
  min_customers: z.number().int().min(0),
  revenue_above: z.number().int().min(0).nullable().optional(),
  rates: z.object({ month: Rates, year: Rates }),
});
const PlanIn = z.union([z.literal('default'), z.object({ tiers: z.array(TierIn).min(1).max(20) })]);

// The program's settings without defaults: PATCH must not reset an absent field to its default.
const ProgramFields = z.object({
  slug: Slug,
  name: z.string().trim().min(1).max(120),
  currency: Currency,
  landing_url: HttpUrl,
  cookie_days: z.number().int().min(1).max(3650),
  hold_days: z.number().int().min(0).max(3650),
  refund_days: z.number().int().min(0).max(3650),
  jv_rate_bps: Bps,
  plan: PlanIn,
  test_clock: z.string().min(1).optional(),
  terms_version: z.string().min(1).max(40).optional(),
  terms_text: z.string().max(100_000).optional(),
});
const ProgramBody = ProgramFields.extend({
  cookie_days: ProgramFields.shape.cookie_days.default(30),
  hold_days: ProgramFields.shape.hold_days.default(45),
  refund_days: ProgramFields.shape.refund_days.default(30),
  jv_rate_bps: Bps.default(1000),
  plan: PlanIn.default('default'),
});
const ProgramPatchBody = ProgramFields.omit({ slug: true, test_clock: true, currency: true }).partial().strict();

const TierOut = TierIn.extend({ revenue_above: z.number().nullable() });
const ProgramOut = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    currency: z.string(),
    landing_url: z.string(),
    cookie_days: z.number(),
    hold_days: z.number(),
    refund_days: z.number(),
    jv_rate_bps: z.number(),
    plan: z.union([z.literal('default'), z.literal('custom')]),
    tiers: z.array(TierOut),
    terms_version: z.string(),
    test_clock: z.string().nullable(),
    now: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Program' });

export function planInput(plan: z.infer<typeof PlanIn>): 'default' | Plan {
  return plan === 'default' ? 'default' : planFromApi({ tiers: plan.tiers.map((t) => ({ ...t, revenue_above: t.revenue_above ?? null })) });
}

export function programView(row: ProgramRow, now: Date): z.infer<typeof ProgramOut> {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    currency: row.currency,
    landing_url: row.landingUrl,
    cookie_days: row.cookieDays,
    hold_days: row.holdDays,
    refund_days: row.refundDays,
    jv_rate_bps: row.jvRateBps,
    plan: row.planName === 'default' ? 'default' : 'custom',
    tiers: planToApi(row.plan as Plan).tiers,
    terms_version: row.termsVersion,
    test_clock: row.testClockId,
    now: now.toISOString(),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function programRoutes(app: Api, { database, clock, linkCache }: AppContext): void {
  const SlugParams = z.object({ slug: z.string() });
  app.post(
    '/api/v1/programs',
    { config: { idempotent: true }, schema: { tags, summary: 'Create a program', body: ProgramBody, response: { 201: ProgramOut } } },
    async (request, reply) => {
      const b = request.body;
      const view = await database.transaction(async (tx) => {
        const row = await createProgram(tx, clock, {
          slug: b.slug,
          name: b.name,
          currency: b.currency,
          landingUrl: b.landing_url,
          cookieDays: b.cookie_days,
          holdDays: b.hold_days,
          refundDays: b.refund_days,
          jvRateBps: b.jv_rate_bps,
          plan: planInput(b.plan),
          testClockId: b.test_clock,
          termsVersion: b.terms_version,
          termsText: b.terms_text,
        });
        return programView(row, await programNow(tx, row, clock));
      });
      return reply.code(201).send(view);
    },
  );
  app.get('/api/v1/programs', { schema: { tags, summary: 'List programs', response: { 200: z.object({ data: z.array(ProgramOut) }) } } }, async () =>
    database.transaction(async (tx) => {
      const rows = await listPrograms(tx);
      return { data: await Promise.all(rows.map(async (r) => programView(r, await programNow(tx, r, clock)))) };
    }),
  );
  app.get(
    '/api/v1/programs/:slug',
    { schema: { tags, summary: 'Read a program', params: SlugParams, response: { 200: ProgramOut } } },
    async (request) =>
      database.transaction(async (tx) => {
        const row = await findProgram(tx, request.params.slug);
        return programView(row, await programNow(tx, row, clock));
      }),
  );
  app.patch(
    '/api/v1/programs/:slug',
    { schema: { tags, summary: 'Update a program', params: SlugParams, body: ProgramPatchBody, response: { 200: ProgramOut } } },
    async (request) => {
      const b = request.body;
      return database.transaction(async (tx) => {
        const row = await updateProgram(tx, clock, request.params.slug, {
          name: b.name,
          landingUrl: b.landing_url,
          cookieDays: b.cookie_days,
          holdDays: b.hold_days,
          refundDays: b.refund_days,
          jvRateBps: b.jv_rate_bps,
          plan: b.plan === undefined ? undefined : planInput(b.plan),
          termsVersion: b.terms_version,
          termsText: b.terms_text,
        });
        return programView(row, await programNow(tx, row, clock));
      }).finally(() => linkCache.clear());
    },
  );
}
