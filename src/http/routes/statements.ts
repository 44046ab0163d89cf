// Reading money (api.md "Reading money") and customer reassignment (api.md "Customers", R3.2).
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { findAffiliate } from '../../app/affiliates.js';
import { findProgram } from '../../app/programs.js';
import { programNow } from '../../app/test-clocks.js';
import { balanceOf, listCommissions, recruitsOf, tierOf } from '../../app/statements.js';
import { reassignCustomer } from '../../app/reassign.js';
import { assertActingFor } from '../auth.js';
import { decodeCursor, encodeCursor, PageQuery } from '../pagination.js';
import type { Api } from '../types.js';

const tags = ['Reading money'];
const AffiliateProgram = { params: z.object({ id: z.string() }), querystring: z.object({ program: z.string().min(1) }) };

export const CommissionOut = z
  .object({
    id: z.string(),
    affiliate_id: z.string(),
    kind: z.enum(['direct', 'jv']),
    status: z.enum(['reserve', 'due', 'paid', 'reversed', 'rejected']),
    amount: z.number(),
    currency: z.string(),
    rate_bps: z.number(),
    tier: z.string().nullable(),
    payment_id: z.string(),
    subscription_id: z.string(),
    customer_id: z.string(),
    earned_at: z.string(),
    due_at: z.string(),
    reason: z.string().optional(),
    reversed_amount: z.number(),
    paid_amount: z.number(),
    outstanding: z.number(),
    recruit_affiliate_id: z.string().nullable(),
    explanation: z.array(z.string()),
  })
  .meta({ id: 'Commission' });

export function statementRoutes(app: Api, context: AppContext): void {
  const { database, clock } = context;

  /** Loads the program and its now, after checking the affiliate exists and may be read. */
  const scope = async (tx: Parameters<Parameters<typeof database.transaction>[0]>[0], affiliateId: string, slug: string) => {
    await findAffiliate(tx, affiliateId);
    const program = await findProgram(tx, slug);
    return { program, now: await programNow(tx, program, clock) };
  };

  app.get(
    '/api/v1/affiliates/:id/balance',
    { config: { affiliate: true }, schema: { tags, summary: 'Reserve, due and paid (R7) at the program’s now', ...AffiliateProgram, response: { 200: z.object({ currency: z.string(), reserve: z.number(), due: z.number(), paid: z.number(), as_of: z.string() }) } } },
    async (request) => {
      assertActingFor(request, request.params.id);
      return database.transaction(async (tx) => {
        const { program, now } = await scope(tx, request.params.id, request.query.program);
        const b = await balanceOf(tx, program, request.params.id, now);
        return { currency: program.currency, reserve: b.reserve, due: b.due, paid: b.paid, as_of: now.toISOString() };
      });
    },
  );

  app.get(
    '/api/v1/affiliates/:id/tier',
    {
      config: { affiliate: true },
      schema: {
        tags,
        summary: 'The tier card (R5.6): tier, rate, trailing revenue, distinct customers, what the next tier needs',
        ...AffiliateProgram,
        response: {
          200: z.object({
            tier: z.string(),
            tier_name: z.string(),
            rate_bps: z.number(),
            trailing_revenue: z.number(),
            distinct_customers: z.number(),
            currency: z.string(),
            next: z.object({ tier: z.string(), revenue_needed: z.number(), customers_needed: z.number() }).nullable(),
            as_of: z.string(),
          }),
        },
      },
    },
    async (request) => {
      assertActingFor(request, request.params.id);
      return database.transaction(async (tx) => {
        const { program, now } = await scope(tx, request.params.id, request.query.program);
        const s = await tierOf(tx, program, request.params.id, now);
        return {
          tier: s.tier.key,
          tier_name: s.tier.name,
          rate_bps: s.rateBps,
          trailing_revenue: s.trailingRevenueMinor,
          distinct_customers: s.distinctCustomers,
          currency: program.currency,
          next: s.next ? { tier: s.next.tierKey, revenue_needed: s.next.revenueNeededMinor, customers_needed: s.next.customersNeeded } : null,
          as_of: now.toISOString(),
        };
      });
    },
  );

  app.get(
    '/api/v1/commissions',
    {
      config: { affiliate: true },
      schema: {
        tags,
        summary: 'Commissions, newest first, each with its explanation',
        querystring: PageQuery.extend({
          program: z.string().min(1),
          affiliate_id: z.string().optional(),
          kind: z.enum(['direct', 'jv']).optional(),
          status: z.enum(['reserve', 'due', 'paid', 'reversed', 'rejected']).optional(),
          customer_id: z.string().optional(),
        }),
        response: { 200: z.object({ data: z.array(CommissionOut), has_more: z.boolean(), next_cursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const q = request.query;
      // An affiliate's session reads only its own commissions.
      const affiliateId = request.principal?.role === 'affiliate' ? request.principal.id : q.affiliate_id;
      if (q.affiliate_id) assertActingFor(request, q.affiliate_id);
      return database.transaction(async (tx) => {
        const program = await findProgram(tx, q.program);
        const now = await programNow(tx, program, clock);
        const { rows, more } = await listCommissions(tx, program, { affiliateId, kind: q.kind, status: q.status, customerId: q.customer_id, limit: q.limit, cursor: decodeCursor(q.cursor) }, now);
        const last = rows[rows.length - 1];
        return { data: rows, has_more: more, next_cursor: more && last ? encodeCursor({ at: new Date(last.earned_at), id: last.id }) : null };
      });
    },
  );

  app.get(
    '/api/v1/affiliates/:id/recruits',
    {
      config: { affiliate: true },
      schema: {
        tags,
        summary: 'JV analytics (R6.3): each recruit with clicks, sales and the net JV commission earned from them',
        ...AffiliateProgram,
        response: {
          200: z.object({
            data: z.array(z.object({ affiliate_id: z.string(), username: z.string(), name: z.string(), email: z.string(), status: z.string().nullable(), clicks: z.number(), sales: z.number(), jv_commission_net: z.number(), currency: z.string() })),
          }),
        },
      },
    },
    async (request) => {
      assertActingFor(request, request.params.id);
      return database.transaction(async (tx) => {
        const { program, now } = await scope(tx, request.params.id, request.query.program);
        return { data: await recruitsOf(tx, program, request.params.id, now) };
      });
    },
  );

  app.post(
    '/api/v1/customers/:id/reassign',
    {
      schema: {
        tags: ['Customers'],
        summary: 'Credit a customer’s subscriptions to another affiliate within 30 days (R3.2)',
        params: z.object({ id: z.string().min(1) }),
        body: z.object({ program: z.string().min(1), affiliate_id: z.string().min(1), reason: z.string().trim().min(1).max(1000) }),
        response: {
          200: z.object({
            customer_id: z.string(),
            affiliate_id: z.string(),
            subscriptions: z.array(z.string()),
            reversed: z.array(z.object({ commission_id: z.string(), amount: z.number() })),
            commissions: z.array(CommissionOut),
          }),
        },
      },
    },
    async (request) => database.transaction((tx) => reassignCustomer(tx, clock, request.params.id, request.body)),
  );
}
