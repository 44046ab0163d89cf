import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { createAffiliate, enrolmentsOf, findAffiliate, type AffiliateRow } from '../../app/affiliates.js';
import type { Tx } from '../../store/db.js';
import { affiliates } from '../../store/schema.js';
import { eq } from 'drizzle-orm';
import type { Api } from '../types.js';
import { assertActingFor } from '../auth.js';
import { findPayoutAccount } from '../../app/payout-accounts.js';
import { findTaxForm, taxFormView } from '../../app/tax-forms.js';

const tags = ['Affiliates'];

const AffiliateBody = z.object({
  email: z.string().trim().pipe(z.email().max(254)),
  username: z.string().min(1).max(64),
  name: z.string().trim().min(1).max(120),
  password: z.string().min(10, 'at least 10 characters').max(200).optional(),
  recruited_by: z.string().min(1).max(64).optional(),
  customer_id: z.string().min(1).max(200).optional(),
  security_question: z.string().min(1).max(200).optional(),
  security_answer: z.string().min(1).max(200).optional(),
});

const Enrolment = z.object({
  program: z.string(),
  application_id: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  applied_at: z.string(),
  decided_at: z.string().nullable(),
});

export const AffiliateOut = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string(),
    name: z.string(),
    recruited_by: z.string().nullable(),
    customer_id: z.string().nullable(),
    created_at: z.string(),
    enrolments: z.array(Enrolment),
    payout_account: z.object({ paypal_email: z.string() }).nullable(),
    tax_form: z.object({ form: z.string(), complete: z.boolean(), missing: z.array(z.string()), tin_masked: z.string().nullable() }).nullable(),
  })
  .meta({ id: 'Affiliate' });

export type AffiliateView = z.infer<typeof AffiliateOut>;

export async function affiliateView(tx: Tx, row: AffiliateRow): Promise<AffiliateView> {
  const enrolments = await enrolmentsOf(tx, row.id);
  // The latest application per program is the enrolment's state.
  const latest = new Map<string, (typeof enrolments)[number]>();
  for (const e of enrolments) if (!latest.has(e.program)) latest.set(e.program, e);
  let recruiterUsername: string | null = null;
  if (row.recruitedBy) {
    const r = await tx.select({ username: affiliates.username }).from(affiliates).where(eq(affiliates.id, row.recruitedBy));
    recruiterUsername = r[0]?.username ?? null;
  }
  const view: AffiliateView = {
    id: row.id,
    username: row.username,
    email: row.email,
    name: row.name,
    recruited_by: recruiterUsername,
    customer_id: row.customerId,
    created_at: row.createdAt.toISOString(),
    enrolments: [...latest.values()].map((e) => ({
      program: e.program,
      application_id: e.applicationId,
      status: e.status,
      reason: e.reason,
      applied_at: e.appliedAt.toISOString(),
      decided_at: e.decidedAt?.toISOString() ?? null,
    })),
    payout_account: await payoutAccountOf(tx, row.id),
    tax_form: await taxFormOf(tx, row.id),
  };
  return view;
}

/** R9.4: the connected PayPal account, or null. */
async function payoutAccountOf(tx: Tx, affiliateId: string): Promise<AffiliateView['payout_account']> {
  const account = await findPayoutAccount(tx, affiliateId);
  return account ? { paypal_email: account.paypalEmail } : null;
}

/** R8.3a: the tax form's status and a masked TIN, never the TIN itself. */
async function taxFormOf(tx: Tx, affiliateId: string): Promise<AffiliateView['tax_form']> {
  const form = await findTaxForm(tx, affiliateId);
  return form ? taxFormView(form) : null;
}

export function affiliateRoutes(app: Api, { database, clock, reservedWords }: AppContext): void {
  app.post(
    '/api/v1/affiliates',
    { config: { idempotent: true }, schema: { tags, summary: 'Create an affiliate (R10.1 usernames)', body: AffiliateBody, response: { 201: AffiliateOut } } },
    async (request, reply) => {
      const b = request.body;
      const view = await database.transaction(async (tx) => {
        const row = await createAffiliate(tx, clock, reservedWords, {
          email: b.email,
          username: b.username,
          name: b.name,
          password: b.password,
          recruitedBy: b.recruited_by,
          customerId: b.customer_id,
          securityQuestion: b.security_question,
          securityAnswer: b.security_answer,
        });
        return affiliateView(tx, row);
      });
      return reply.code(201).send(view);
    },
  );
  app.get(
    '/api/v1/affiliates/:id',
    {
      config: { affiliate: true },
      schema: { tags, summary: 'Read an affiliate with enrolments, payout account and tax-form status', params: z.object({ id: z.string() }), response: { 200: AffiliateOut } },
    },
    async (request) => {
      assertActingFor(request, request.params.id);
      return database.transaction(async (tx) => affiliateView(tx, await findAffiliate(tx, request.params.id)));
    },
  );
}
