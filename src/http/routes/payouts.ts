// api.md "Payouts" (R8): runs are composed, reviewed, approved, then sent through PayPal; the
// mass-payment file and the 1099-NEC worksheet are exports of the same data. Admin only.
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import {
  approvePayoutRun,
  createPayoutRun,
  discardPayoutRun,
  findPayoutRun,
  linesOf,
  listPayoutRuns,
  type PayoutRunDetail,
  type StoredWithheld,
} from '../../app/payout-runs.js';
import { payoutSendDeps as sendDeps, refreshPayoutRun, sendPayoutRun } from '../../app/payout-send.js';
import { necWorksheet, payoutRunCsv } from '../../app/payout-exports.js';
import { decodeCursor, encodeCursor, PageQuery } from '../pagination.js';
import { iso, listEnvelope } from '../schemas.js';
import type { Api } from '../types.js';

const tags = ['Payouts'];

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month written YYYY-MM, e.g. "2027-03"');

const ItemOut = z.object({
  id: z.string(),
  affiliate_id: z.string(),
  amount: z.number(),
  currency: z.string(),
  commission_ids: z.array(z.string()),
  status: z.enum(['pending', 'paid', 'failed']),
  receiver: z.string(),
  paypal_item_id: z.string().nullable(),
  failure_reason: z.string().nullable(),
});

export const PayoutRunOut = z
  .object({
    id: z.string(),
    program: z.string(),
    month: z.string(),
    status: z.enum(['draft', 'approved', 'sending', 'sent', 'needs_reconciliation']),
    currency: z.string(),
    total: z.number(),
    items: z.array(ItemOut),
    withheld: z.array(z.object({ affiliate_id: z.string(), amount: z.number(), reasons: z.array(z.string()), commission_ids: z.array(z.string()) })),
    sender_batch_id: z.string(),
    paypal_batch_id: z.string().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    approved_at: z.string().nullable(),
    sending_at: z.string().nullable(),
    sent_at: z.string().nullable(),
  })
  .meta({ id: 'PayoutRun' });

export function payoutRunView(detail: PayoutRunDetail): z.infer<typeof PayoutRunOut> {
  const { run, program, items } = detail;
  return {
    id: run.id,
    program: program.slug,
    month: run.month,
    status: run.status as z.infer<typeof PayoutRunOut>['status'],
    currency: run.currency,
    total: items.reduce((sum, item) => sum + item.amount, 0),
    items: items.map((item) => ({
      id: item.id,
      affiliate_id: item.affiliateId,
      amount: item.amount,
      currency: item.currency,
      commission_ids: linesOf(item).map((line) => line.commissionId),
      status: item.status as 'pending',
      receiver: item.receiver,
      paypal_item_id: item.paypalItemId,
      failure_reason: item.failureReason,
    })),
    withheld: (run.withheld as StoredWithheld[]).map((w) => ({ affiliate_id: w.affiliateId, amount: w.amountMinor, reasons: w.reasons, commission_ids: w.commissionIds })),
    sender_batch_id: run.senderBatchId,
    paypal_batch_id: run.paypalBatchId,
    last_error: run.lastError,
    created_at: run.createdAt.toISOString(),
    approved_at: iso(run.approvedAt),
    sending_at: iso(run.sendingAt),
    sent_at: iso(run.sentAt),
  };
}

export function payoutRoutes(app: Api, context: AppContext): void {
  const { database, clock } = context;
  const IdParams = z.object({ id: z.string() });

  app.post(
    '/api/v1/payout_runs',
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Compose the payout run of a month (R8.1–R8.3) as a draft',
        description:
          'Pays every commission that became due before the first day of `month`, netted with clawbacks; affiliates without a complete tax form or a PayPal account are withheld (their due waits). A month whose first day is still ahead of the program’s now is 409; one run per program and month (409).',
        body: z.object({ program: z.string().min(1), month: Month }),
        response: { 201: PayoutRunOut },
      },
    },
    async (request, reply) => {
      const detail = await database.transaction((tx) => createPayoutRun(tx, clock, request.body));
      return reply.code(201).send(payoutRunView(detail));
    },
  );

  app.get(
    '/api/v1/payout_runs',
    {
      schema: {
        tags,
        summary: 'List payout runs, newest month first',
        querystring: PageQuery.extend({ program: z.string().optional() }),
        response: { 200: listEnvelope(PayoutRunOut) },
      },
    },
    async (request) => {
      const q = request.query;
      // The cursor names the last run of the previous page by (month, id); the month travels as its first instant.
      const cursor = decodeCursor(q.cursor);
      const after = cursor ? { month: cursor.at.toISOString().slice(0, 7), id: cursor.id } : undefined;
      const details = await database.transaction((tx) => listPayoutRuns(tx, { program: q.program, limit: q.limit + 1, after }));
      const hasMore = details.length > q.limit;
      const slice = hasMore ? details.slice(0, q.limit) : details;
      const last = slice[slice.length - 1];
      const next = last ? { at: new Date(`${last.run.month}-01T00:00:00Z`), id: last.run.id } : null;
      return { data: slice.map(payoutRunView), has_more: hasMore, next_cursor: hasMore && next ? encodeCursor(next) : null };
    },
  );

  app.get(
    '/api/v1/payout_runs/:id',
    { schema: { tags, summary: 'Read a payout run with its items and withheld affiliates', params: IdParams, response: { 200: PayoutRunOut } } },
    async (request) => payoutRunView(await database.transaction((tx) => findPayoutRun(tx, request.params.id))),
  );

  app.delete(
    '/api/v1/payout_runs/:id',
    { schema: { tags, summary: 'Discard a draft run (its commissions are free for another run)', params: IdParams, response: { 204: z.null() } } },
    async (request, reply) => {
      await database.transaction((tx) => discardPayoutRun(tx, request.params.id));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/payout_runs/:id/approve',
    { schema: { tags, summary: 'Approve a reviewed draft (draft → approved)', params: IdParams, response: { 200: PayoutRunOut } } },
    async (request) => payoutRunView(await database.transaction((tx) => approvePayoutRun(tx, clock, request.params.id))),
  );

  app.post(
    '/api/v1/payout_runs/:id/send',
    {
      schema: {
        tags,
        summary: 'Send an approved run through PayPal Payouts (idempotent)',
        description:
          'approved → sending → sent. Answers as soon as PayPal has the batch; items still pending at PayPal keep the run `sending` and are finished by the background poller or `refresh`. Sending again never pays twice. A draft is 409 `payout_run_not_approved`; without PayPal credentials 409 `paypal_not_configured`.',
        params: IdParams,
        response: { 200: PayoutRunOut },
      },
    },
    async (request) => payoutRunView(await sendPayoutRun(sendDeps(context), request.params.id)),
  );

  app.post(
    '/api/v1/payout_runs/:id/refresh',
    { schema: { tags, summary: 'Poll PayPal now for a sending run’s item results', params: IdParams, response: { 200: PayoutRunOut } } },
    async (request) => payoutRunView(await refreshPayoutRun(sendDeps(context), request.params.id)),
  );

  app.get(
    '/api/v1/payout_runs/:id/export.csv',
    {
      schema: {
        tags,
        summary: 'PayPal mass-payment file of the run',
        description: 'No header row; per item: receiver email, amount as a decimal, currency code, the item’s unique id, a note.',
        params: IdParams,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const detail = await database.transaction((tx) => findPayoutRun(tx, request.params.id));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="payouts-${detail.program.slug}-${detail.run.month}.csv"`)
        .send(payoutRunCsv(detail));
    },
  );

  app.get(
    '/api/v1/reports/1099-nec.csv',
    {
      schema: {
        tags,
        summary: '1099-NEC worksheet: US payees paid at or above the threshold in a calendar year',
        description: 'W-9 filers only; amounts are what payouts actually sent in the year (USD programs). TINs are masked to their last four digits.',
        querystring: z.object({
          year: z.coerce.number().int().min(2020).max(9999),
          program: z.string().optional(),
          threshold: z.coerce.number().int().min(0).optional(),
        }),
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const q = request.query;
      const csv = await database.transaction((tx) => necWorksheet(tx, q.year, { program: q.program, thresholdMinor: q.threshold }));
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="1099-nec-${q.year}.csv"`).send(csv);
    },
  );
}
