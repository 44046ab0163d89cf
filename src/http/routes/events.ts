// Billing events (api.md "Events") and the Stripe webhook that feeds the same use case.
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { ingestEvent, type EventInput, type EventResult } from '../../app/events.js';
import { listPrograms } from '../../app/programs.js';
import { renderCommissions } from '../../app/statements.js';
import { badRequest } from '../../app/errors.js';
import { expansionNeeded, mapStripeEvent, StripeMappingError, verifyStripeEvent, StripeSignatureError } from '../../integrations/stripe/index.js';
import { sha256 } from '../../app/hashing.js';
import { canonicalJson } from '../idempotency.js';
import { Currency, Instant } from '../schemas.js';
import { problem, sendProblem } from '../problem.js';
import type { Api } from '../types.js';

const tags = ['Events'];
const ExternalId = z.string().min(1).max(255);
const Amount = z.number().int().positive().max(1e12);

const Customer = z.object({
  id: ExternalId,
  email: z.string().trim().max(254).optional(),
  /** R3.3: the affiliate (agency) that owns this customer's account, if any. */
  account_owner_affiliate_id: z.string().max(64).optional(),
});
const Subscription = z.object({ id: ExternalId, interval: z.enum(['month', 'year']).optional() });
const Common = {
  id: ExternalId,
  program: z.string().min(1).max(64),
  occurred_at: Instant.optional(),
  click_id: z.string().max(64).optional(),
  referral_code: z.string().max(64).optional(),
};

export const EventBody = z
  .discriminatedUnion('type', [
    z.object({ ...Common, type: z.literal('subscription.started'), customer: Customer, subscription: Subscription }),
    z.object({
      ...Common,
      type: z.literal('payment.succeeded'),
      customer: Customer,
      subscription: Subscription,
      payment: z.object({ id: ExternalId, amount: Amount, currency: Currency, full_price: z.boolean().default(true), fingerprint: z.string().max(255).optional() }),
    }),
    z.object({ ...Common, type: z.literal('payment.refunded'), customer: Customer.optional(), payment: z.object({ id: ExternalId, amount: Amount.optional(), currency: Currency.optional() }) }),
    z.object({ ...Common, type: z.literal('payment.disputed'), customer: Customer.optional(), payment: z.object({ id: ExternalId, amount: Amount.optional(), currency: Currency.optional() }) }),
    z.object({ ...Common, type: z.literal('subscription.canceled'), customer: Customer.optional(), subscription: Subscription }),
  ])
  .meta({ id: 'Event' });
type EventBodyT = z.infer<typeof EventBody>;

const EventOut = z
  .object({
    id: z.string(),
    duplicate: z.boolean(),
    type: z.string(),
    occurred_at: z.string(),
    commissions: z.array(z.any()),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'EventResult' });

export function eventInput(body: EventBodyT): EventInput {
  const payment = 'payment' in body ? body.payment : undefined;
  const customer = 'customer' in body ? body.customer : undefined;
  return {
    id: body.id,
    type: body.type,
    program: body.program,
    occurredAt: body.occurred_at,
    customer: customer ? { id: customer.id, email: customer.email ?? null, accountOwnedByAffiliateId: customer.account_owner_affiliate_id } : undefined,
    subscription: 'subscription' in body ? body.subscription : undefined,
    payment: payment
      ? {
          id: payment.id,
          amount: payment.amount,
          currency: payment.currency,
          fullPrice: 'full_price' in payment ? (payment.full_price as boolean) : undefined,
          fingerprint: 'fingerprint' in payment ? (payment.fingerprint as string | undefined) : undefined,
        }
      : undefined,
    clickId: body.click_id,
    referralCode: body.referral_code,
  };
}

export function eventRoutes(app: Api, context: AppContext): void {
  const { database, clock } = context;

  const ingest = (body: EventBodyT): Promise<EventResult> =>
    database.transaction((tx) => ingestEvent(tx, clock, eventInput(body), sha256(canonicalJson(body)), (t, program, ids, now, known) => renderCommissions(t, program, ids, now, known)));

  app.post(
    '/api/v1/events',
    { schema: { tags, summary: 'Send a billing event (idempotent by event id)', body: EventBody, response: { 200: EventOut, 201: EventOut } } },
    async (request, reply) => {
      const result = await ingestWithRetry(() => ingest(request.body));
      return reply.code(result.duplicate ? 200 : 201).send(result);
    },
  );

  // Stripe signs the raw bytes, so this route reads its body unparsed.
  void app.register(async (scoped) => {
    scoped.removeContentTypeParser('application/json');
    scoped.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scoped.post(
      '/api/v1/integrations/stripe/webhook',
      { config: { public: true }, schema: { tags, summary: 'Stripe webhook (signature-verified): invoice.paid, charge.refunded, charge.dispute.created, customer.subscription.created/deleted', security: [], hide: false } },
      async (request, reply) => {
        const secret = context.stripeWebhookSecret;
        if (!secret) return sendProblem(reply, problem(409, 'stripe_not_configured', 'Set STRIPE_WEBHOOK_SECRET to receive Stripe webhooks.'));
        const signature = request.headers['stripe-signature'];
        let event;
        try {
          event = verifyStripeEvent(request.body as Buffer, typeof signature === 'string' ? signature : '', secret, 300, Math.floor(clock.now().getTime() / 1000));
        } catch (error) {
          if (error instanceof StripeSignatureError) return sendProblem(reply, problem(400, 'stripe_signature_invalid', `The Stripe signature does not verify (${error.failure}).`));
          throw error;
        }
        const program = await resolveProgram(typeof (request.query as Record<string, unknown>)['program'] === 'string' ? String((request.query as Record<string, string>)['program']) : undefined);
        if (expansionNeeded(event as never)) request.log.warn({ stripeEvent: event.id }, 'stripe payload lacks payment details; mapped with the invoice id');
        let mapped;
        try {
          mapped = mapStripeEvent(event as never, { program });
        } catch (error) {
          if (error instanceof StripeMappingError) return sendProblem(reply, problem(400, 'stripe_payload_unusable', error.message));
          throw error;
        }
        const results: EventResult[] = [];
        for (const m of mapped) {
          const parsed = EventBody.safeParse(m);
          if (!parsed.success) return sendProblem(reply, problem(400, 'stripe_payload_unusable', `Stripe event ${event.id} maps to an invalid event.`));
          results.push(await ingestWithRetry(() => ingest(parsed.data)));
        }
        return { received: true, events: results.map((r) => ({ id: r.id, duplicate: r.duplicate, commissions: r.commissions.length })) };
      },
    );
  });

  async function resolveProgram(slug: string | undefined): Promise<string> {
    if (slug) return slug;
    const programs = await database.transaction((tx) => listPrograms(tx));
    if (programs.length === 1) return programs[0]!.slug;
    throw badRequest('program_required', 'Add ?program=<slug> to the webhook URL: this instance runs several programs.');
  }
}

/**
 * Concurrent first deliveries of one event race on the events primary key; on PostgreSQL the
 * loser's INSERT waits, then finds the winner's row. A serialization or unique-violation error
 * from a race is retried once, and the retry reads the winner's answer.
 */
async function ingestWithRetry(run: () => Promise<EventResult>): Promise<EventResult> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      if (attempt < 3 && (code === '23505' || code === '40001' || code === '40P01')) continue;
      throw error;
    }
  }
}
