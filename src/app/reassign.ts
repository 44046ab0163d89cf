// R3.2: within 30 days of a subscription's first event an admin credits a customer's active
// subscriptions to another affiliate; the old commissions are reversed by new entries and the
// new affiliate's are created at their tier at each original payment time (JV moves with them).
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Tx } from '../store/db.js';
import { payments, subscriptions } from '../store/schema.js';
import { programIds } from '../store/ids.js';
import { decideReassignment, type PaymentFact } from '../domain/index.js';
import type { Clock } from './clock.js';
import { conflict, invalid, notFound } from './errors.js';
import { loadAffiliateFact, loadFingerprints, loadRefunds, loadSalesBook, lockAffiliateBook, lockSubscriptionOnly, readSubscription, toSubscriptionFact } from './facts.js';
import { appendLedger, commissionsOfPayments, entriesOf } from './ledger-store.js';
import { findProgram, settingsOf } from './programs.js';
import { renderCommissions, type CommissionView } from './statements.js';
import { programNow } from './test-clocks.js';

export async function reassignCustomer(
  tx: Tx,
  clock: Clock,
  customerId: string,
  input: { program: string; affiliate_id: string; reason: string },
): Promise<{ customer_id: string; affiliate_id: string; subscriptions: string[]; reversed: { commission_id: string; amount: number }[]; commissions: CommissionView[] }> {
  const program = await findProgram(tx, input.program);
  const settings = settingsOf(program);
  const now = await programNow(tx, program, clock);
  const active = await tx
    .select({ externalId: subscriptions.externalId })
    .from(subscriptions)
    .where(and(eq(subscriptions.programId, program.id), eq(subscriptions.customerId, customerId), isNull(subscriptions.canceledAt)));
  if (active.length === 0) throw notFound('customer', customerId);
  const newAffiliate = await loadAffiliateFact(tx, program.id, input.affiliate_id);
  if (!newAffiliate) {
    throw invalid('affiliate_unknown', `No affiliate with id "${input.affiliate_id}".`, [{ field: 'affiliate_id', message: 'no such affiliate' }]);
  }
  if (newAffiliate.enrolment?.status !== 'approved') {
    throw conflict('affiliate_not_approved', `Affiliate ${input.affiliate_id} is not approved in "${program.slug}".`);
  }
  // Locks in the order events take them, subscriptions (by id) then the affiliate, so that a
  // reassignment and a payment never wait on each other's lock.
  const subscriptionIds = active.map((s) => s.externalId).sort();
  for (const id of subscriptionIds) await lockSubscriptionOnly(tx, program.id, id);
  await lockAffiliateBook(tx, program.id, newAffiliate.id);
  const newRecruiter = await loadAffiliateFact(tx, program.id, newAffiliate.recruitedBy);
  const fingerprints = await loadFingerprints(tx, program.id, newAffiliate.id);
  // R3.2: the new affiliate's tier book, read once (a big seller's is tens of thousands of sales);
  // each moved subscription's new sales join it below, as they join the stored one.
  const book = await loadSalesBook(tx, program.id, newAffiliate.id, now, settings.holdDays);
  const moved: string[] = [];
  const reversed: { commission_id: string; amount: number }[] = [];
  const created: string[] = [];
  for (const externalId of subscriptionIds) {
    const row = (await readSubscription(tx, program.id, externalId))!;
    const subscription = toSubscriptionFact(row);
    if (subscription.binding?.affiliateId === newAffiliate.id) continue;
    const paymentRows = await tx
      .select()
      .from(payments)
      .where(and(eq(payments.programId, program.id), eq(payments.subscriptionId, externalId)))
      .orderBy(payments.paidAt);
    const paymentFacts: PaymentFact[] = paymentRows.map((p) => ({
      id: p.externalId,
      subscriptionId: p.subscriptionId,
      customerId: p.customerId,
      customerEmail: p.customerEmail,
      amountMinor: p.amount,
      paidAt: p.paidAt.getTime(),
      fullPrice: p.fullPrice,
      fingerprint: p.fingerprint,
      accountOwnedByAffiliateId: p.accountOwnedByAffiliateId,
    }));
    const paymentIds = paymentFacts.map((p) => p.id);
    const commissions = await commissionsOfPayments(tx, program.id, paymentIds);
    // R3.2: the new affiliate's tier at each original payment, from their other sales.
    for (const id of paymentIds) if (book.has(id)) book.remove(id);
    const decision = decideReassignment({
      settings,
      subscription,
      at: now.getTime(),
      reason: input.reason,
      newAffiliate,
      newRecruiter,
      payments: paymentFacts,
      refunds: await loadRefunds(tx, program.id, paymentIds),
      commissions,
      entries: await entriesOf(tx, commissions.map((c) => c.id)),
      newAffiliateSales: book,
      newAffiliateFingerprints: fingerprints,
      ids: programIds(program.id),
    });
    await appendLedger(tx, program, decision.commissions, [...decision.reversals, ...decision.entries], clock.now(), commissions);
    await tx
      .update(subscriptions)
      .set({ binding: decision.subscription.binding, boundAffiliateId: decision.subscription.binding?.affiliateId ?? null })
      .where(and(eq(subscriptions.programId, program.id), eq(subscriptions.externalId, externalId)));
    if (decision.removedSalePaymentIds.length > 0) {
      await tx
        .update(payments)
        .set({ saleAffiliateId: null })
        .where(and(eq(payments.programId, program.id), inArray(payments.externalId, decision.removedSalePaymentIds)));
    }
    for (const sale of decision.newSales) book.add(sale);
    const newSaleIds = decision.newSales.map((s) => s.paymentId);
    if (newSaleIds.length > 0) {
      await tx
        .update(payments)
        .set({ saleAffiliateId: newAffiliate.id })
        .where(and(eq(payments.programId, program.id), inArray(payments.externalId, newSaleIds)));
    }
    moved.push(externalId);
    reversed.push(...decision.reversals.map((e) => ({ commission_id: e.commissionId, amount: -e.amountMinor })));
    created.push(...decision.commissions.map((c) => c.id));
  }
  return {
    customer_id: customerId,
    affiliate_id: newAffiliate.id,
    subscriptions: moved,
    reversed,
    commissions: await renderCommissions(tx, program, created, now),
  };
}
