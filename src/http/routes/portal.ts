// The affiliate portal's own endpoints: sign-up, login, the session, password reset (R10.2),
// account changes, the public program page with its versioned terms, marketing materials with
// the affiliate's link filled in (R9.2) and the dashboard's statistics over time (R9.3).
import { z } from 'zod';
import { and, asc, desc, eq, gte, sql } from 'drizzle-orm';
import type { AppContext } from '../../app/context.js';
import {
  changeEmail,
  changePassword,
  confirmPasswordReset,
  findAdmin,
  invalidCredentials,
  loginAffiliate,
  requestPasswordReset,
  signUp,
  usernameAvailability,
  type LoginOutcome,
} from '../../app/accounts.js';
import { createSession, deleteSession } from '../../app/sessions.js';
import { findAffiliate } from '../../app/affiliates.js';
import { linksOf, linkUrl } from '../../app/links.js';
import { findProgram, listPrograms, type ProgramRow } from '../../app/programs.js';
import { programNow } from '../../app/test-clocks.js';
import { AppError, conflict } from '../../app/errors.js';
import { planToApi, type Plan } from '../../domain/index.js';
import { applications, clicks, commissions, links, marketingMaterials, payments } from '../../store/schema.js';
import type { Tx } from '../../store/db.js';
import { assertActingFor } from '../auth.js';
import { clearSessionCookie, currentSessionHash, setSessionCookie } from '../session.js';
import { problem, sendProblem } from '../problem.js';
import { affiliateView, AffiliateOut } from './affiliates.js';
import type { Api } from '../types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';

const tags = ['Portal'];
const Password = z.string().min(10, 'at least 10 characters').max(200);

export const SessionOut = z
  .object({
    kind: z.enum(['affiliate', 'admin']),
    csrf_token: z.string(),
    expires_at: z.string(),
    affiliate: AffiliateOut.optional(),
    security_question: z.string().nullable().optional(),
    admin: z.object({ id: z.string(), email: z.string(), name: z.string() }).optional(),
  })
  .meta({ id: 'Session' });
export type SessionView = z.infer<typeof SessionOut>;

const Rates = z.object({ first_bps: z.number(), recurring_bps: z.number() });
const TierOut = z.object({
  key: z.string(),
  name: z.string(),
  min_customers: z.number(),
  revenue_above: z.number().nullable(),
  rates: z.object({ month: Rates, year: Rates }),
});
const PublicProgramOut = z
  .object({
    slug: z.string(),
    name: z.string(),
    currency: z.string(),
    cookie_days: z.number(),
    hold_days: z.number(),
    refund_days: z.number(),
    jv_rate_bps: z.number(),
    terms_version: z.string(),
    terms_text: z.string(),
    tiers: z.array(TierOut),
  })
  .meta({ id: 'PublicProgram' });

export function publicProgramView(row: ProgramRow): z.infer<typeof PublicProgramOut> {
  return {
    slug: row.slug,
    name: row.name,
    currency: row.currency,
    cookie_days: row.cookieDays,
    hold_days: row.holdDays,
    refund_days: row.refundDays,
    jv_rate_bps: row.jvRateBps,
    terms_version: row.termsVersion,
    terms_text: row.termsText,
    tiers: planToApi(row.plan as Plan).tiers,
  };
}

/** Answers a login outcome: the session cookie, 401, or 429 with Retry-After (R10.3). */
export async function answerLogin(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  outcome: LoginOutcome,
  kind: 'affiliate' | 'admin',
): Promise<SessionView> {
  if (outcome.kind === 'locked') {
    reply.header('retry-after', String(outcome.retryAfterSeconds));
    throw new AppError(
      'too_many',
      'login_locked',
      `Too many failed attempts. Wait ${outcome.retryAfterSeconds < 90 ? `${outcome.retryAfterSeconds} seconds` : `${Math.ceil(outcome.retryAfterSeconds / 60)} minutes`} before trying again, or reset your password.`,
    );
  }
  if (outcome.kind === 'failed') throw invalidCredentials();
  setSessionCookie(request, reply, context.publicUrl, outcome.session);
  return context.database.transaction((tx) =>
    sessionView(tx, { kind, principalId: outcome.principalId, csrfToken: outcome.session.csrfToken, expiresAt: outcome.session.expiresAt }),
  );
}

export async function sessionView(
  tx: Tx,
  s: { kind: 'affiliate' | 'admin'; principalId: string; csrfToken: string; expiresAt: Date },
): Promise<SessionView> {
  const base = { kind: s.kind, csrf_token: s.csrfToken, expires_at: s.expiresAt.toISOString() };
  if (s.kind === 'admin') {
    const admin = await findAdmin(tx, s.principalId);
    if (!admin) throw new AppError('unauthorized', 'not_signed_in', 'You are not signed in.');
    return { ...base, admin };
  }
  const row = await findAffiliate(tx, s.principalId);
  return { ...base, affiliate: await affiliateView(tx, row), security_question: row.securityQuestion };
}

/** The signed-in affiliate of a portal-only route (not an admin, not an API key). */
function selfId(request: FastifyRequest): string {
  const p = request.principal;
  if (p?.kind !== 'session' || p.role !== 'affiliate') {
    throw new AppError('forbidden', 'affiliate_only', 'Only a signed-in affiliate can change their own account.');
  }
  return p.id;
}

/** The latest application of an affiliate in a program must be approved (links exist only then). */
async function assertApproved(tx: Tx, programId: string, affiliateId: string): Promise<void> {
  const rows = await tx
    .select({ status: applications.status })
    .from(applications)
    .where(and(eq(applications.programId, programId), eq(applications.affiliateId, affiliateId)))
    .orderBy(desc(applications.createdAt))
    .limit(1);
  if (rows[0]?.status !== 'approved') {
    throw conflict('not_approved', 'Links, materials and statistics open once your application to this program is approved.');
  }
}

const MaterialOut = z
  .object({
    id: z.string(),
    program: z.string(),
    kind: z.enum(['banner', 'email', 'text']),
    title: z.string(),
    body: z.string(),
    image_url: z.string().nullable(),
    link: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'MarketingMaterial' });
export type MaterialView = z.infer<typeof MaterialOut>;
export { MaterialOut };

export function materialView(
  row: typeof marketingMaterials.$inferSelect,
  programSlug: string,
  link: string | null,
): MaterialView {
  // R9.2: the affiliate's link replaces every {{link}}; an admin reading it sees the placeholder.
  const fill = (text: string) => (link ? text.replaceAll('{{link}}', link) : text);
  return {
    id: row.id,
    program: programSlug,
    kind: row.kind as 'banner',
    title: row.title,
    body: fill(row.body),
    image_url: row.imageUrl,
    link,
    created_at: row.createdAt.toISOString(),
  };
}

const StatsOut = z
  .object({
    program: z.string(),
    currency: z.string(),
    from: z.string(),
    to: z.string(),
    totals: z.object({ clicks: z.number(), sales: z.number(), revenue: z.number(), commission: z.number(), conversion_rate_bps: z.number() }),
    daily: z.array(z.object({ date: z.string(), clicks: z.number(), sales: z.number(), commission: z.number() })),
    links: z.array(
      z.object({
        code: z.string(),
        kind: z.string(),
        name: z.string().nullable(),
        clicks: z.number(),
        sales: z.number(),
        revenue: z.number(),
        conversion_rate_bps: z.number(),
        daily: z.array(z.object({ date: z.string(), clicks: z.number(), sales: z.number() })),
      }),
    ),
  })
  .meta({ id: 'AffiliateStats' });

const DAY_MS = 24 * 60 * 60 * 1000;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const rateBps = (sales: number, clicks: number) => (clicks > 0 ? Math.round((sales * 10_000) / clicks) : 0);

/** R9.3: clicks, sales and commissions per day over the last `days` days of the program's time. */
async function affiliateStats(tx: Tx, context: AppContext, program: ProgramRow, affiliateId: string, days: number) {
  const now = await programNow(tx, program, context.clock);
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS);
  const from = new Date(end.getTime() - days * DAY_MS);
  const clickRows = await tx
    .select({ linkId: clicks.linkId, day: sql<string>`to_char(${clicks.clickedAt} at time zone 'UTC', 'YYYY-MM-DD')`, n: sql<number>`count(*)::int` })
    .from(clicks)
    .where(and(eq(clicks.programId, program.id), eq(clicks.affiliateId, affiliateId), eq(clicks.isBot, false), gte(clicks.clickedAt, from)))
    .groupBy(clicks.linkId, sql`2`);
  const saleRows = await tx
    .select({
      linkId: payments.linkId,
      day: sql<string>`to_char(${payments.paidAt} at time zone 'UTC', 'YYYY-MM-DD')`,
      n: sql<number>`count(*)::int`,
      revenue: sql<number>`coalesce(sum(${payments.amount}), 0)::bigint`,
    })
    .from(payments)
    .where(and(eq(payments.programId, program.id), eq(payments.saleAffiliateId, affiliateId), eq(payments.fullPrice, true), gte(payments.paidAt, from)))
    .groupBy(payments.linkId, sql`2`);
  const commissionRows = await tx
    .select({ day: sql<string>`to_char(${commissions.earnedAt} at time zone 'UTC', 'YYYY-MM-DD')`, amount: sql<number>`coalesce(sum(${commissions.amount}), 0)::bigint` })
    .from(commissions)
    .where(and(eq(commissions.programId, program.id), eq(commissions.affiliateId, affiliateId), eq(commissions.status, 'active'), gte(commissions.earnedAt, from)))
    .groupBy(sql`1`);
  const linkRows = await tx
    .select({ id: links.id, code: links.code, kind: links.kind, name: links.name })
    .from(links)
    .where(and(eq(links.programId, program.id), eq(links.affiliateId, affiliateId)))
    .orderBy(asc(links.createdAt));

  const dates: string[] = [];
  for (let t = from.getTime(); t < end.getTime(); t += DAY_MS) dates.push(dayOf(new Date(t)));
  const daily = new Map(dates.map((d) => [d, { date: d, clicks: 0, sales: 0, commission: 0 }]));
  const perLink = new Map(linkRows.map((l) => [l.id, { ...l, clicks: 0, sales: 0, revenue: 0, daily: new Map(dates.map((d) => [d, { date: d, clicks: 0, sales: 0 }])) }]));
  let totalClicks = 0;
  let totalSales = 0;
  let totalRevenue = 0;
  for (const r of clickRows) {
    const n = Number(r.n);
    totalClicks += n;
    const d = daily.get(r.day);
    if (d) d.clicks += n;
    const l = perLink.get(r.linkId);
    if (l) {
      l.clicks += n;
      const ld = l.daily.get(r.day);
      if (ld) ld.clicks += n;
    }
  }
  const mainLink = [...perLink.values()].find((l) => l.kind === 'main');
  for (const r of saleRows) {
    const n = Number(r.n);
    totalSales += n;
    totalRevenue += Number(r.revenue);
    const d = daily.get(r.day);
    if (d) d.sales += n;
    // Sales carry a link only when a tracking link earned them (R9.1); the rest are the main link's.
    const l = (r.linkId ? perLink.get(r.linkId) : undefined) ?? mainLink;
    if (l) {
      l.sales += n;
      l.revenue += Number(r.revenue);
      const ld = l.daily.get(r.day);
      if (ld) ld.sales += n;
    }
  }
  let totalCommission = 0;
  for (const r of commissionRows) {
    totalCommission += Number(r.amount);
    const d = daily.get(r.day);
    if (d) d.commission += Number(r.amount);
  }
  return {
    program: program.slug,
    currency: program.currency,
    from: from.toISOString(),
    to: end.toISOString(),
    totals: { clicks: totalClicks, sales: totalSales, revenue: totalRevenue, commission: totalCommission, conversion_rate_bps: rateBps(totalSales, totalClicks) },
    daily: [...daily.values()],
    links: [...perLink.values()].map((l) => ({
      code: l.code,
      kind: l.kind,
      name: l.name,
      clicks: l.clicks,
      sales: l.sales,
      revenue: l.revenue,
      conversion_rate_bps: rateBps(l.sales, l.clicks),
      daily: [...l.daily.values()],
    })),
  };
}

export function portalRoutes(app: Api, context: AppContext): void {
  const { database, clock, reservedWords, publicUrl } = context;

  // --- accounts -------------------------------------------------------------------------------
  app.post(
    '/api/v1/portal/signup',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Sign up as an affiliate and sign in (R10.1; `jv` is the recruiter’s JV link code, R6)',
        body: z.object({
          email: z.string().trim().pipe(z.email().max(254)),
          username: z.string().min(1).max(64),
          name: z.string().trim().min(1).max(120),
          password: Password,
          security_question: z.string().trim().min(3).max(200),
          security_answer: z.string().trim().min(1).max(200),
          jv: z.string().max(64).optional(),
        }),
        response: { 201: SessionOut },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const created = await database.transaction(async (tx) => {
        const row = await signUp(tx, clock, reservedWords, {
          email: b.email,
          username: b.username,
          name: b.name,
          password: b.password,
          securityQuestion: b.security_question,
          securityAnswer: b.security_answer,
          jv: b.jv,
        });
        const session = await createSession(tx, clock, 'affiliate', row.id);
        return { session, view: await sessionView(tx, { kind: 'affiliate', principalId: row.id, csrfToken: session.csrfToken, expiresAt: session.expiresAt }) };
      });
      setSessionCookie(request, reply, publicUrl, created.session);
      return reply.code(201).send(created.view);
    },
  );

  app.get(
    '/api/v1/portal/username_check',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Is this username allowed and free? (R10.1, for as-you-type feedback)',
        querystring: z.object({ username: z.string().max(64) }),
        response: { 200: z.object({ username: z.string(), available: z.boolean(), code: z.string().optional(), message: z.string().optional() }) },
      },
    },
    async (request) => {
      const username = request.query.username;
      const result = await database.transaction((tx) => usernameAvailability(tx, reservedWords, username));
      return { username, ...result };
    },
  );

  app.post(
    '/api/v1/session',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Affiliate login with email or username (R10.1); repeated failures slow down, then lock (R10.3)',
        body: z.object({ login: z.string().trim().min(1).max(254), password: z.string().min(1).max(200) }),
        response: { 200: SessionOut },
      },
    },
    async (request, reply) => {
      const outcome = await loginAffiliate(database, clock, request.body.login, request.body.password);
      return answerLogin(context, request, reply, outcome, 'affiliate');
    },
  );

  app.get(
    '/api/v1/session',
    { config: { public: true }, schema: { tags, summary: 'The signed-in affiliate or admin, with the CSRF token', response: { 200: SessionOut } } },
    async (request, reply) => {
      const s = request.userSession;
      if (!s) return sendProblem(reply, problem(401, 'not_signed_in', 'You are not signed in.'));
      reply.header('cache-control', 'no-store');
      return database.transaction((tx) =>
        sessionView(tx, { kind: s.principalKind as 'affiliate', principalId: s.principalId, csrfToken: s.csrfToken, expiresAt: s.expiresAt }),
      );
    },
  );

  app.delete(
    '/api/v1/session',
    { config: { public: true }, schema: { tags, summary: 'Sign out' } },
    async (request, reply) => {
      const s = request.userSession;
      if (s) {
        if (request.headers['x-csrf-token'] !== s.csrfToken) {
          return sendProblem(reply, problem(403, 'csrf_failed', 'This request lacks the session’s CSRF token (x-csrf-token).'));
        }
        await database.transaction((tx) => deleteSession(tx, s.token));
      }
      clearSessionCookie(request, reply, publicUrl);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/portal/password_reset',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Email a one-time reset link (R10.2), at most 3 an hour per account. Always 202: the answer never tells whether the account exists, nor whether a mail went.',
        body: z.object({ username: z.string().trim().min(1).max(254) }),
        response: { 202: z.object({ status: z.literal('accepted') }) },
      },
    },
    async (request, reply) => {
      await database.transaction((tx) => requestPasswordReset(tx, clock, publicUrl, request.body.username));
      return reply.code(202).send({ status: 'accepted' as const });
    },
  );

  app.post(
    '/api/v1/portal/password_reset/confirm',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Set a new password with a reset token (once, within the hour)',
        body: z.object({ token: z.string().min(1).max(200), new_password: Password }),
        response: { 200: z.object({ status: z.literal('password_changed'), username: z.string() }) },
      },
    },
    async (request) => {
      const row = await database.transaction((tx) => confirmPasswordReset(tx, clock, request.body.token, request.body.new_password));
      return { status: 'password_changed' as const, username: row.username };
    },
  );

  const Proof = { security_answer: z.string().max(200).optional(), current_password: z.string().max(200).optional() };
  app.post(
    '/api/v1/portal/account/email',
    {
      config: { affiliate: true },
      schema: {
        tags,
        summary: 'Change your email; needs your security answer or current password (R10.2)',
        body: z.object({ email: z.string().trim().pipe(z.email().max(254)), ...Proof }),
        response: { 200: AffiliateOut },
      },
    },
    async (request) => {
      const id = selfId(request);
      const b = request.body;
      return database.transaction(async (tx) => {
        const row = await changeEmail(tx, id, b.email, { securityAnswer: b.security_answer, currentPassword: b.current_password });
        return affiliateView(tx, row);
      });
    },
  );

  app.post(
    '/api/v1/portal/account/password',
    {
      config: { affiliate: true },
      schema: {
        tags,
        summary: 'Change your password; needs your security answer or current password (R10.2)',
        body: z.object({ new_password: Password, ...Proof }),
        response: { 200: z.object({ status: z.literal('password_changed') }) },
      },
    },
    async (request) => {
      const id = selfId(request);
      const b = request.body;
      await database.transaction((tx) =>
        changePassword(tx, id, b.new_password, { securityAnswer: b.security_answer, currentPassword: b.current_password }, currentSessionHash(request)),
      );
      return { status: 'password_changed' as const };
    },
  );

  // --- programs as the public sees them --------------------------------------------------------
  app.get(
    '/api/v1/portal/programs',
    { config: { public: true }, schema: { tags, summary: 'Programs one can apply to, with their terms and tier tables', response: { 200: z.object({ data: z.array(PublicProgramOut) }) } } },
    async () => database.transaction(async (tx) => ({ data: (await listPrograms(tx)).map(publicProgramView) })),
  );
  app.get(
    '/api/v1/portal/programs/:slug',
    {
      config: { public: true },
      schema: { tags, summary: 'A program’s public page: versioned terms, cookie days, the tier table', params: z.object({ slug: z.string() }), response: { 200: PublicProgramOut } },
    },
    async (request) => database.transaction(async (tx) => publicProgramView(await findProgram(tx, request.params.slug))),
  );

  // --- an affiliate's own data ----------------------------------------------------------------
  const AffiliateProgram = { params: z.object({ id: z.string() }), querystring: z.object({ program: z.string().min(1) }) };
  app.get(
    '/api/v1/affiliates/:id/materials',
    {
      config: { affiliate: true },
      schema: { tags, summary: 'Marketing materials with the affiliate’s link filled in (R9.2)', ...AffiliateProgram, response: { 200: z.object({ data: z.array(MaterialOut) }) } },
    },
    async (request) => {
      assertActingFor(request, request.params.id);
      return database.transaction(async (tx) => {
        await findAffiliate(tx, request.params.id);
        // The main link is issued on first use (links.ts), so materials always carry a working link.
        const { program, main } = await linksOf(tx, clock, request.query.program, request.params.id);
        const link = linkUrl(publicUrl, main.link.code);
        const rows = await tx.select().from(marketingMaterials).where(eq(marketingMaterials.programId, program.id)).orderBy(asc(marketingMaterials.createdAt));
        return { data: rows.map((r) => materialView(r, program.slug, link)) };
      });
    },
  );

  app.get(
    '/api/v1/affiliates/:id/stats',
    {
      config: { affiliate: true },
      schema: {
        tags,
        summary: 'Clicks, sales, conversion and commissions per day and per link (R9.3)',
        params: AffiliateProgram.params,
        querystring: AffiliateProgram.querystring.extend({ days: z.coerce.number().int().min(1).max(366).default(30) }),
        response: { 200: StatsOut },
      },
    },
    async (request) => {
      assertActingFor(request, request.params.id);
      return database.transaction(async (tx) => {
        await findAffiliate(tx, request.params.id);
        const program = await findProgram(tx, request.query.program);
        await assertApproved(tx, program.id, request.params.id);
        return affiliateStats(tx, context, program, request.params.id, request.query.days);
      });
    },
  );
}
