// R8.3 / R9.4 payment settings: the PayPal payout account and the tax form (W-9 / W-8BEN).
// An affiliate may set their own (portal session); admins anyone's. The TIN is never returned:
// only `tin_masked`, its last four digits.
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { assertActingFor } from '../auth.js';
import { findPayoutAccount, payoutAccountView, setPayoutAccount } from '../../app/payout-accounts.js';
import { findTaxForm, putTaxForm, taxFormView } from '../../app/tax-forms.js';
import { findAffiliate } from '../../app/affiliates.js';
import { notFound } from '../../app/errors.js';
import type { Api } from '../types.js';

const tags = ['Affiliates'];
const IdParams = z.object({ id: z.string() });

const PayoutAccountOut = z.object({ paypal_email: z.string(), updated_at: z.string() }).meta({ id: 'PayoutAccount' });
export const TaxFormOut = z
  .object({ form: z.string(), complete: z.boolean(), missing: z.array(z.string()), tin_masked: z.string().nullable() })
  .meta({ id: 'TaxFormStatus' });

// The real validation is parseTaxForm (src/compliance/tax-forms.ts), which knows the relations
// between fields; this schema documents the body and only insists that it is an object.
const TaxFormBody = z
  .looseObject({
    form: z.string().optional().meta({ description: '"w9" or "w8ben"' }),
    legal_name: z.string().optional(),
    country: z.string().optional().meta({ description: 'ISO 3166-1 alpha-2 country for tax purposes: "US" files a w9, anyone else a w8ben.' }),
    tin: z.string().optional().meta({ description: 'US TIN (SSN/ITIN ###-##-####, EIN ##-#######). Required on a w9. Stored encrypted; never returned.' }),
    address: z
      .looseObject({ line1: z.string().optional(), line2: z.string().optional(), city: z.string().optional(), state: z.string().optional(), postal_code: z.string().optional(), country: z.string().optional() })
      .optional(),
    signed_at: z.string().optional().meta({ description: 'RFC 3339 instant of the signature.' }),
  })
  .meta({
    id: 'TaxForm',
    description:
      'form, legal_name, country, address and signed_at (and tin for a w9) make a form complete; a PUT lacking one is 422 and stores nothing. Other fields of the real forms (federal_tax_classification, business_name, date_of_birth, foreign_tin, treaty_* …) are accepted and optional.',
  });

export function payoutAccountRoutes(app: Api, context: AppContext): void {
  const { database, clock } = context;

  app.put(
    '/api/v1/affiliates/:id/payout_account',
    {
      config: { affiliate: true },
      schema: {
        tags,
        summary: 'Connect the affiliate’s PayPal account (R8.3b)',
        params: IdParams,
        body: z.object({ paypal_email: z.string().trim().pipe(z.email().max(254)) }),
        response: { 200: PayoutAccountOut },
      },
    },
    async (request) => {
      assertActingFor(request, request.params.id);
      const row = await database.transaction((tx) => setPayoutAccount(tx, clock, request.params.id, request.body.paypal_email));
      return payoutAccountView(row);
    },
  );

  app.get(
    '/api/v1/affiliates/:id/payout_account',
    { config: { affiliate: true }, schema: { tags, summary: 'Read the affiliate’s PayPal account', params: IdParams, response: { 200: PayoutAccountOut } } },
    async (request) => {
      assertActingFor(request, request.params.id);
      return database.transaction(async (tx) => {
        await findAffiliate(tx, request.params.id);
        const row = await findPayoutAccount(tx, request.params.id);
        if (!row) throw notFound('payout_account', request.params.id);
        return payoutAccountView(row);
      });
    },
  );

  app.put(
    '/api/v1/affiliates/:id/tax_form',
    {
      config: { affiliate: true },
      schema: {
        tags,
        summary: 'File the affiliate’s tax form: W-9 for US persons, W-8BEN for others (R8.3a)',
        params: IdParams,
        body: TaxFormBody,
        response: { 200: TaxFormOut },
      },
    },
    async (request) => {
      assertActingFor(request, request.params.id);
      const row = await database.transaction((tx) => putTaxForm(tx, clock, context.secretKey, request.params.id, request.body));
      return taxFormView(row);
    },
  );

  app.get(
    '/api/v1/affiliates/:id/tax_form',
    { config: { affiliate: true }, schema: { tags, summary: 'The tax form’s status (never the TIN)', params: IdParams, response: { 200: TaxFormOut } } },
    async (request) => {
      assertActingFor(request, request.params.id);
      return database.transaction(async (tx) => {
        await findAffiliate(tx, request.params.id);
        const row = await findTaxForm(tx, request.params.id);
        if (!row) throw notFound('tax_form', request.params.id);
        return taxFormView(row);
      });
    },
  );
}
