// Links, the click redirect and the first-party tracker (api.md "Clicks", R2, R9.1).
import { z } from 'zod';
import { isbot } from 'isbot';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { createTrackingLink, linksOf, linkUrl } from '../../app/links.js';
import type { ResolvedLink } from '../../app/link-cache.js';
import { programNow } from '../../app/test-clocks.js';
import { sha256 } from '../../app/hashing.js';
import { newId } from '../../store/ids.js';
import { trackerSource, TRACKER_CONTENT_TYPE, TRACKER_PATH } from '../../tracker/index.js';
import { assertActingFor } from '../auth.js';
import type { Api } from '../types.js';
import { problem, sendProblem } from '../problem.js';
import { Problem } from '../schemas.js';

const tags = ['Links and clicks'];

const LinkOut = z.object({ code: z.string(), url: z.string() });
const TrackingLinkOut = LinkOut.extend({ name: z.string(), clicks: z.number(), sales: z.number() });
const LinksOut = z
  .object({
    program: z.string(),
    main: LinkOut.extend({ clicks: z.number(), sales: z.number() }),
    jv: LinkOut,
    tracking: z.array(TrackingLinkOut),
  })
  .meta({ id: 'Links' });

const PURPOSE_HEADERS = ['purpose', 'sec-purpose', 'x-purpose', 'x-moz'] as const;
const PREFETCH = /prefetch|preview/i;

/**
 * isbot's verdict per user agent. Its pattern is one large regular expression (3% of the
 * redirect's CPU), and a site's clicks come from a few thousand user agents at most. The map
 * keeps user agents of at most 500 characters and is emptied when it reaches 10,000 of them, so
 * odd user agents cannot make it large (5 MB at most).
 */
const botByUserAgent = new Map<string, boolean>();

/** Link prefetchers announce themselves; they are recorded like bots and never credited. */
function isAutomated(request: FastifyRequest): boolean {
  for (const name of PURPOSE_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined && PREFETCH.test(String(value))) return true;
  }
  const ua = request.headers['user-agent'];
  if (!ua) return true;
  let bot = botByUserAgent.get(ua);
  if (bot === undefined) {
    bot = isbot(ua);
    if (ua.length <= 500) {
      if (botByUserAgent.size >= 10_000) botByUserAgent.clear();
      botByUserAgent.set(ua, bot);
    }
  }
  return bot;
}

/**
 * The landing URL as the redirect sends it, parsed once per landing URL rather than per click:
 * `withClick(id)` equals `new URL(landingUrl)` with `searchParams.set('aff_click', id)`, to the
 * byte, for any id of [0-9a-z_] (such ids serialise as themselves).
 */
interface LandingTarget {
  plain: string;
  withClick: (clickId: string) => string;
}

const landingTargets = new Map<string, LandingTarget>();

export function landingTarget(landingUrl: string): LandingTarget {
  const known = landingTargets.get(landingUrl);
  if (known) return known;
  const build = (clickId: string) => {
    const url = new URL(landingUrl);
    url.searchParams.set('aff_click', clickId);
    return url.toString();
  };
  // Two one-character ids locate the value in the serialised URL: the first place they differ.
  const x = build('x');
  const y = build('y');
  let at = 0;
  while (at < x.length && x[at] === y[at]) at += 1;
  const before = x.slice(0, at);
  const after = x.slice(at + 1);
  if (y !== `${before}y${after}`) throw new Error(`landing URL ${landingUrl}: cannot place aff_click`);
  const target: LandingTarget = { plain: new URL(landingUrl).toString(), withClick: (clickId) => before + clickId + after };
  if (landingTargets.size >= 1000) landingTargets.clear();
  landingTargets.set(landingUrl, target);
  return target;
}

export function trackingRoutes(app: Api, context: AppContext): void {
  const { database, clock, publicUrl, linkCache } = context;

  app.get(
    '/api/v1/affiliates/:id/links',
    {
      config: { affiliate: true },
      schema: { tags, summary: 'An approved affiliate’s main, JV and tracking links in a program (409 otherwise)', params: z.object({ id: z.string() }), querystring: z.object({ program: z.string().min(1) }), response: { 200: LinksOut } },
    },
    async (request) => {
      assertActingFor(request, request.params.id);
      const result = await database.transaction((tx) => linksOf(tx, clock, request.query.program, request.params.id));
      return {
        program: result.program.slug,
        main: { code: result.main.link.code, url: linkUrl(publicUrl, result.main.link.code), clicks: result.main.clicks, sales: result.main.sales },
        jv: { code: result.jv.code, url: linkUrl(publicUrl, result.jv.code) },
        tracking: result.tracking.map((t) => ({ name: t.link.name ?? '', code: t.link.code, url: linkUrl(publicUrl, t.link.code), clicks: t.clicks, sales: t.sales })),
      };
    },
  );

  app.post(
    '/api/v1/affiliates/:id/tracking_links',
    {
      config: { affiliate: true, idempotent: true },
      schema: {
        tags,
        summary: 'Create a named tracking link (R9.1)',
        params: z.object({ id: z.string() }),
        body: z.object({ program: z.string().min(1), name: z.string().trim().min(1).max(60) }),
        response: { 201: LinkOut.extend({ name: z.string() }) },
      },
    },
    async (request, reply) => {
      assertActingFor(request, request.params.id);
      const link = await database.transaction((tx) => createTrackingLink(tx, clock, request.body.program, request.params.id, request.body.name));
      return reply.code(201).send({ name: link.name ?? '', code: link.code, url: linkUrl(publicUrl, link.code) });
    },
  );

  app.get(
    '/api/v1/track/click',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Record a click from the first-party tracker (?ref=<code> on the merchant’s landing page)',
        security: [],
        querystring: z.object({ code: z.string().max(64), landing: z.string().max(2000).optional(), program: z.string().max(64).optional() }),
        response: { 200: z.object({ click_id: z.string().nullable() }), 404: Problem },
      },
    },
    async (request, reply) => {
      reply.header('access-control-allow-origin', '*').header('cache-control', 'no-store');
      const q = request.query;
      const link = /^[0-9a-z]{1,64}$/.test(q.code) ? await linkCache.resolve(q.code) : null;
      if (!link || link.kind === 'jv' || (q.program && q.program !== link.programSlug)) {
        return sendProblem(reply, problem(404, 'link_not_found', 'No such affiliate link.'));
      }
      const { clickId, credited } = await recordClick(context, request, link);
      return { click_id: credited ? clickId : null };
    },
  );

  app.get(TRACKER_PATH, { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply.type(TRACKER_CONTENT_TYPE).header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*').send(trackerSource()),
  );
}

/** Records one click (group-committed) and says whether it may credit a sale. */
async function recordClick(context: AppContext, request: FastifyRequest, link: ResolvedLink): Promise<{ clickId: string; credited: boolean }> {
  const { database, clock, clickRecorder } = context;
  const automated = isAutomated(request);
  const credited = !automated && link.approved;
  const recordedAt = clock.now();
  // A program on a test clock stamps clicks with its own time (api.md "Clocks").
  const clickedAt = link.testClockId ? await database.transaction((tx) => programNow(tx, { testClockId: link.testClockId }, clock)) : recordedAt;
  const clickId = newId('clk');
  await clickRecorder.record({
    id: clickId,
    linkId: link.linkId,
    programId: link.programId,
    affiliateId: link.affiliateId,
    clickedAt,
    recordedAt,
    isBot: automated,
    credited,
    // The address is kept only as a keyed hash: enough to spot click fraud, not to identify anyone.
    ipHash: sha256(`${context.secretKey ?? ''}:${request.ip}`).slice(0, 32),
    userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
    referrer: (request.headers['referer'] ?? '').slice(0, 1000) || null,
  });
  return { clickId, credited };
}

/**
 * The click redirect `/r/{code}` (R2). The server registers it apart from the API, before the
 * API's hooks (cookies, sessions, API keys, idempotency): it reads none of them, and a hook is
 * work on every click (bench/redirect.ts).
 */
export function redirectRoutes(app: Api, context: AppContext): void {
  const { publicUrl, linkCache } = context;

  app.get(
    '/r/:code',
    // A HEAD (link checkers, previews) must not record a click. The code is checked here, not by a
    // schema: anything that is not a possible code is unknown, answered with the 404 page.
    { exposeHeadRoute: false, config: { public: true }, schema: { hide: true } },
    async (request: FastifyRequest<{ Params: { code: string } }>, reply: FastifyReply) => {
      const code = request.params.code;
      const link = /^[0-9a-z]{1,64}$/.test(code) ? await linkCache.resolve(code) : null;
      reply.header('cache-control', 'no-store');
      if (!link) return reply.code(404).type('text/html; charset=utf-8').send(unknownLinkPage());
      if (link.kind === 'jv') {
        // A JV link recruits affiliates: it leads to the portal's sign-up with the recruiter recorded (R6).
        const signup = new URL(`${publicUrl}/signup`);
        signup.searchParams.set('program', link.programSlug);
        signup.searchParams.set('jv', link.code);
        return reply.redirect(signup.toString(), 302);
      }
      const { clickId, credited } = await recordClick(context, request, link);
      const target = landingTarget(link.landingUrl);
      if (!credited) return reply.redirect(target.plain, 302);
      // R2.3: the click id travels in the landing URL as well as the cookie. The cookie is the
      // string @fastify/cookie would serialise (tracking.test.ts compares them), without its
      // per-reply bookkeeping.
      reply.header('set-cookie', `aff_click=${clickId}; Max-Age=${link.cookieDays * 86_400}; Path=/; HttpOnly; SameSite=Lax`);
      return reply.redirect(target.withClick(clickId), 302);
    },
  );
}

function unknownLinkPage(): string {
  return '<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Link not found</title><body style="font-family:system-ui;margin:4rem auto;max-width:32rem;padding:0 1rem"><h1>This link does not exist</h1><p>The affiliate link you followed is not known here. Check that it was copied completely.</p></body></html>';
}
