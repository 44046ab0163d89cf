// The database schema: one set of tables for PGlite and PostgreSQL (PostgreSQL-15-compatible).
// Money columns are bigint minor units; rates are integer basis points; instants are timestamptz.
// Ledger tables (commissions, ledger_entries) are append-only: rows are inserted, never updated
// or deleted (style §5, R4.3, R7.2). Every mutable table carries the server's `created_at`.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const money = (name: string) => bigint(name, { mode: 'number' });

/** API keys: only the SHA-256 of the secret is stored; `prefix` lets an admin recognise a key. */
export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  prefix: text('prefix').notNull(),
  secretHash: text('secret_hash').notNull().unique(),
  role: text('role').notNull().default('admin'),
  createdAt: instant('created_at').notNull(),
  revokedAt: instant('revoked_at'),
  lastUsedAt: instant('last_used_at'),
});

/** Idempotency-Key records: the first answer to a creating POST, with a hash of its request. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state').notNull(), // 'running' | 'done'
    statusCode: integer('status_code'),
    responseBody: jsonb('response_body'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.principal, t.key] })],
);

/** Test clocks (api.md "Clocks"): a frozen instant that only moves forward. */
export const testClocks = pgTable('test_clocks', {
  id: text('id').primaryKey(),
  frozenTime: instant('frozen_time').notNull(),
  createdAt: instant('created_at').notNull(),
});

export const programs = pgTable('programs', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  currency: text('currency').notNull(),
  landingUrl: text('landing_url').notNull(),
  cookieDays: integer('cookie_days').notNull(),
  holdDays: integer('hold_days').notNull(),
  refundDays: integer('refund_days').notNull(),
  jvRateBps: integer('jv_rate_bps').notNull(),
  planName: text('plan_name').notNull(), // 'default' | 'custom'
  plan: jsonb('plan').notNull(),
  termsVersion: text('terms_version').notNull().default('v1'),
  termsText: text('terms_text').notNull().default(''),
  testClockId: text('test_clock_id').references(() => testClocks.id),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

/** Affiliates (R10): usernames never change and are unique without regard to case. */
export const affiliates = pgTable(
  'affiliates',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    usernameLower: text('username_lower').notNull().unique(),
    email: text('email').notNull().unique(), // normalised: trimmed, lower-cased (R10.1)
    name: text('name').notNull(),
    passwordHash: text('password_hash'),
    securityQuestion: text('security_question'),
    securityAnswerHash: text('security_answer_hash'),
    recruitedBy: text('recruited_by'),
    customerId: text('customer_id'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    // A recruiter's recruits (R6.3), and the affiliate who is an event's customer (R4.5): without
    // them both were a scan of every affiliate (9 ms at 100k affiliates, per dashboard read or event).
    index('affiliates_recruited_by').on(t.recruitedBy),
    index('affiliates_customer_id').on(t.customerId),
    // The console's affiliates, newest first.
    index('affiliates_created').on(t.createdAt, t.id),
  ],
);

/** Applications per program (R1.1–R1.2). The approved one is the affiliate's enrolment. */
export const applications = pgTable(
  'applications',
  {
    id: text('id').primaryKey(),
    programId: text('program_id').notNull().references(() => programs.id),
    affiliateId: text('affiliate_id').notNull().references(() => affiliates.id),
    status: text('status').notNull(), // pending | approved | denied | dismissed
    termsVersion: text('terms_version').notNull(),
    termsAcceptedAt: instant('terms_accepted_at').notNull(),
    website: text('website'),
    socialLinks: jsonb('social_links').$type<string[]>().notNull().default([]),
    answer: text('answer'),
    reason: text('reason'),
    decidedAt: instant('decided_at'),
    dismissedAt: instant('dismissed_at'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    // R1.2: while an application is pending, approved or dismissed, a new one is refused.
    uniqueIndex('applications_one_open_per_program')
      .on(t.programId, t.affiliateId)
      .where(sql`status in ('pending', 'approved', 'dismissed')`),
    index('applications_program_status').on(t.programId, t.status, t.createdAt),
    // GET /programs/{slug}/applications without a status: newest first, page after page.
    index('applications_program_created').on(t.programId, t.createdAt, t.id),
    // An affiliate's latest application per program (their enrolment: links, the link cache, events)
    // and all of an affiliate's applications, without scanning the program's.
    index('applications_affiliate').on(t.affiliateId, t.programId, t.createdAt),
  ],
);

/** Admin users of the console (the demo admin is seeded on first start). */
export const admins = pgTable('admins', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: instant('created_at').notNull(),
});

/** Instance settings that are data, not code (e.g. R10.1's reserved words). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

// ---------------------------------------------------------------------------------------------
// Tracking (R2, R9.1): links and clicks.

/** An affiliate's links in a program: one main, one JV (recruiting), any number of tracking links. */
export const links = pgTable(
  'links',
  {
    id: text('id').primaryKey(),
    code: text('code').notNull().unique(),
    programId: text('program_id').notNull().references(() => programs.id),
    affiliateId: text('affiliate_id').notNull().references(() => affiliates.id),
    kind: text('kind').notNull(), // main | jv | tracking
    name: text('name'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('links_one_main_and_jv').on(t.programId, t.affiliateId, t.kind).where(sql`kind in ('main', 'jv')`),
    uniqueIndex('links_tracking_name').on(t.programId, t.affiliateId, sql`lower(${t.name})`).where(sql`kind = 'tracking'`),
    // Every link of an affiliate, oldest first (the stats page, R9.3): the partial indexes above
    // hold one kind each, so without it the read scanned every link of every program.
    index('links_affiliate').on(t.programId, t.affiliateId, t.createdAt),
  ],
);

/** Every click, committed before its 302 (R2.1). Bots are recorded and never credited. */
export const clicks = pgTable(
  'clicks',
  {
    id: text('id').primaryKey(),
    linkId: text('link_id').notNull(),
    programId: text('program_id').notNull(),
    affiliateId: text('affiliate_id').notNull(),
    clickedAt: instant('clicked_at').notNull(), // the program's time (test clocks)
    recordedAt: instant('recorded_at').notNull(), // the server's time
    isBot: boolean('is_bot').notNull(),
    credited: boolean('credited').notNull(), // false for bots and dismissed affiliates (R1.2)
    ipHash: text('ip_hash'),
    userAgent: text('user_agent'),
    referrer: text('referrer'),
  },
  // Every click is inserted before its 302, so each index here is paid on the redirect's hot path.
  // Clicks are read by id (the primary key) and per affiliate over time (the dashboard). Per-link
  // counts come from link_click_counts, so the indexes on link_id (clicks_link,
  // clicks_affiliate_link) were dropped in drizzle/0007: no query read them.
  (t) => [index('clicks_affiliate_time').on(t.affiliateId, t.programId, t.clickedAt)],
);

/**
 * Human clicks per link (R9.1): a projection of `clicks` that the database keeps in the statement
 * that inserts them (the statement trigger `clicks_count_by_link`, drizzle/0003), so the links page
 * reads a row per link instead of counting a big seller's hundreds of thousands of clicks. `clicks`
 * is append-only, so the projection only ever adds; links.test.ts proves it equal to a count of
 * the clicks. Bots are never counted.
 */
export const linkClickCounts = pgTable(
  'link_click_counts',
  {
    programId: text('program_id').notNull(),
    affiliateId: text('affiliate_id').notNull(),
    linkId: text('link_id').notNull(),
    clicks: bigint('clicks', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.affiliateId, t.linkId] })],
);

// ---------------------------------------------------------------------------------------------
// Billing facts (R3, R4): what the merchant's billing told us, keyed by the merchant's ids.

/** Incoming events, unique per program: the guard of idempotent ingestion (style §4). */
export const events = pgTable(
  'events',
  {
    programId: text('program_id').notNull(),
    externalId: text('external_id').notNull(),
    type: text('type').notNull(),
    bodyHash: text('body_hash').notNull(),
    body: jsonb('body').notNull(),
    response: jsonb('response').notNull(),
    occurredAt: instant('occurred_at').notNull(),
    recordedAt: instant('recorded_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.externalId] })],
);

export const subscriptions = pgTable(
  'subscriptions',
  {
    programId: text('program_id').notNull(),
    externalId: text('external_id').notNull(),
    customerId: text('customer_id').notNull(),
    customerEmail: text('customer_email'),
    interval: text('interval').notNull(),
    firstEventAt: instant('first_event_at').notNull(),
    canceledAt: instant('canceled_at'),
    binding: jsonb('binding'), // R3.1: {affiliateId, boundAt, source} or null
    boundAffiliateId: text('bound_affiliate_id'),
    firstFullPaymentId: text('first_full_payment_id'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.programId, t.externalId] }),
    index('subscriptions_customer').on(t.programId, t.customerId),
    // The console's customers, newest first.
    index('subscriptions_first_event').on(t.programId, t.firstEventAt),
  ],
);

export const payments = pgTable(
  'payments',
  {
    programId: text('program_id').notNull(),
    externalId: text('external_id').notNull(),
    subscriptionId: text('subscription_id').notNull(),
    customerId: text('customer_id').notNull(),
    customerEmail: text('customer_email'),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    fullPrice: boolean('full_price').notNull(),
    fingerprint: text('fingerprint'),
    accountOwnedByAffiliateId: text('account_owned_by_affiliate_id'),
    paidAt: instant('paid_at').notNull(),
    /** R5.1: the affiliate whose sale this is (credited, not self-referral, not agency-owned). */
    saleAffiliateId: text('sale_affiliate_id'),
    /** R4.5: the affiliate who paid it themselves (their fingerprints flag later self-referrals). */
    payerAffiliateId: text('payer_affiliate_id'),
    linkId: text('link_id'), // R2.4/R9.1: the tracking link credited with the sale
    recordedAt: instant('recorded_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.programId, t.externalId] }),
    // In the database it also INCLUDEs external_id, customer_id and amount, so that a seller's tier
    // totals are an index-only scan (drizzle/0008, by hand: drizzle-kit cannot express INCLUDE). A
    // change here makes drizzle-kit recreate it without them: carry the INCLUDE over by hand.
    index('payments_sale_affiliate').on(t.programId, t.saleAffiliateId, t.paidAt),
    index('payments_payer').on(t.programId, t.payerAffiliateId),
    // R9.1: sales per link of one affiliate (the links page) as an index-only scan.
    index('payments_sale_link').on(t.programId, t.saleAffiliateId, t.linkId).where(sql`link_id is not null`),
    // R3.2: a reassigned subscription's payments. Without it a reassignment read every payment of
    // the program (62 ms at a million, in bench/big-seller.ts).
    index('payments_subscription').on(t.programId, t.subscriptionId),
  ],
);

/** Refunds and chargebacks (R4.3); `amount` is what this one took back. */
export const refunds = pgTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    programId: text('program_id').notNull(),
    paymentId: text('payment_id').notNull(),
    kind: text('kind').notNull(), // refund | dispute
    amount: money('amount').notNull(),
    at: instant('at').notNull(),
    createdAt: instant('created_at').notNull(),
    /**
     * The refunded payment's `sale_affiliate_id`, kept by the database (drizzle/0010: set on insert
     * from the payment whatever the writer gives, and moved with it when a reassignment moves the sale).
     * A seller's tier totals read the refunds of their sales by it instead of joining every refund
     * of the program.
     */
    saleAffiliateId: text('sale_affiliate_id'),
  },
  (t) => [
    index('refunds_payment').on(t.programId, t.paymentId),
    // In the database it also INCLUDEs payment_id and amount (drizzle/0010, by hand, as 0008), so
    // that the refunds of a seller's sales are an index-only scan: carry the INCLUDE over by hand.
    index('refunds_sale_affiliate').on(t.programId, t.saleAffiliateId, t.at),
  ],
);

// ---------------------------------------------------------------------------------------------
// The ledger (R7): append-only. Commissions are created once; all later change is a new entry.

export const commissions = pgTable(
  'commissions',
  {
    id: text('id').primaryKey(),
    programId: text('program_id').notNull(),
    affiliateId: text('affiliate_id').notNull(),
    kind: text('kind').notNull(), // direct | jv
    paymentId: text('payment_id').notNull(),
    subscriptionId: text('subscription_id').notNull(),
    customerId: text('customer_id').notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    rateBps: integer('rate_bps').notNull(),
    tierKey: text('tier_key'),
    earnedAt: instant('earned_at').notNull(),
    dueAt: instant('due_at').notNull(),
    status: text('status').notNull(), // active | rejected (R4.5); reserve/due/paid are derived
    reason: text('reason'),
    sourceCommissionId: text('source_commission_id'),
    basis: jsonb('basis').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    // An affiliate's commissions newest first (id breaks ties, as the list's cursor does). Its
    // due_at served the balance's join until drizzle/0011; the balance reads no commission since.
    index('commissions_affiliate').on(t.programId, t.affiliateId, t.earnedAt, t.id, t.dueAt),
    index('commissions_payment').on(t.programId, t.paymentId),
    index('commissions_due').on(t.programId, t.dueAt),
    // R8.1 payout runs: a program's commissions in id order with what a run filters and groups
    // by, read as an index-only scan and merge-joined with ledger_entries_outstanding. (Key
    // columns after the unique id act as INCLUDE, which drizzle-kit cannot express.)
    index('commissions_outstanding').on(t.programId, t.id, t.affiliateId, t.status, t.dueAt),
    // What each ledger entry repeats of its commission, enforced by the entries' foreign key
    // (ledger_entries_commission_key): an entry is filed under its commission's program and
    // affiliate and carries its due instant, so a balance sums entries without reading commissions.
    unique('commissions_ledger_key').on(t.id, t.programId, t.affiliateId, t.dueAt),
    // R6.3: a recruiter's JV commissions, the start of their recruits' JV net (recruitsOf), without
    // reading their direct ones (a big seller has tens of thousands).
    index('commissions_jv').on(t.programId, t.affiliateId, t.id).where(sql`kind = 'jv'`),
    // A program's commissions newest first, page after page (GET /commissions without an
    // affiliate: the console's Commissions page), and its rejected ones (the fraud page). Without
    // them each page read and sorted every commission of the program.
    index('commissions_program_earned').on(t.programId, t.earnedAt, t.id),
    index('commissions_rejected').on(t.programId, t.earnedAt).where(sql`status = 'rejected'`),
  ],
);

export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: text('id').primaryKey(),
    programId: text('program_id').notNull(),
    commissionId: text('commission_id').notNull(),
    affiliateId: text('affiliate_id').notNull(),
    type: text('type').notNull(), // earn | reverse | payout
    amount: money('amount').notNull(), // signed
    at: instant('at').notNull(),
    /** The commission's due instant (R4.2), as the foreign key below holds it: reserve before, due from. */
    dueAt: instant('due_at').notNull(),
    reason: text('reason').notNull(),
    ref: text('ref'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    // An entry belongs to its commission's program and affiliate and carries its due instant
    // (drizzle/0011): the database refuses an entry filed under anyone else, so what is summed by
    // program and affiliate is exactly the affiliate's commissions' entries.
    foreignKey({ name: 'ledger_entries_commission_key', columns: [t.commissionId, t.programId, t.affiliateId, t.dueAt], foreignColumns: [commissions.id, commissions.programId, commissions.affiliateId, commissions.dueAt] }),
    index('ledger_entries_commission').on(t.commissionId),
    // An affiliate's entries carrying what their balance sums (R7.1), read without an entry row
    // and without their commissions.
    index('ledger_entries_affiliate').on(t.programId, t.affiliateId, t.at, t.dueAt, t.type, t.amount),
    // R7.1/R8.1: each commission's outstanding amount (Σ entries) for a whole program, summed in
    // commission order from the index alone (payout runs read no entry row).
    index('ledger_entries_outstanding').on(t.programId, t.commissionId, t.amount),
    // A year's payouts per affiliate (the 1099-NEC report): the payout entries alone.
    index('ledger_entries_payouts').on(t.programId, t.at).where(sql`type = 'payout'`),
  ],
);

/**
 * R6.3: the net JV commission (earned less reversed) each recruiter has from each recruit: a
 * projection of the ledger that the database keeps in the statement that appends the entries (the
 * statement trigger `ledger_entries_net_jv`, drizzle/0009), so the recruits page reads a row per
 * recruit instead of joining a big recruiter's tens of thousands of entries with their JV
 * commissions. It counts an entry filed under its commission's program and affiliate, as the ledger
 * reads do; `last_at` is the latest entry counted, so a reader whose now is before it (an entry
 * stamped ahead of the program's clock) sums the ledger instead. The ledger is append-only, so the
 * projection only ever adds; statements.test.ts proves it equal to the ledger's sums.
 */
export const recruitJvNets = pgTable(
  'recruit_jv_nets',
  {
    programId: text('program_id').notNull(),
    recruiterId: text('recruiter_id').notNull(),
    recruitId: text('recruit_id').notNull(),
    net: money('net').notNull(),
    lastAt: instant('last_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.recruiterId, t.recruitId] })],
);

// ---------------------------------------------------------------------------------------------
// Payouts and compliance (R8).

export const payoutAccounts = pgTable('payout_accounts', {
  affiliateId: text('affiliate_id').primaryKey().references(() => affiliates.id),
  paypalEmail: text('paypal_email').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

/** W-9 / W-8BEN (R8.3). The TIN is AES-256-GCM ciphertext; only its last four digits are kept clear. */
export const taxForms = pgTable('tax_forms', {
  affiliateId: text('affiliate_id').primaryKey().references(() => affiliates.id),
  form: text('form').notNull(), // w9 | w8ben
  legalName: text('legal_name').notNull(),
  country: text('country').notNull(),
  tinCiphertext: text('tin_ciphertext'),
  tinLast4: text('tin_last4'),
  address: jsonb('address').notNull(),
  signedAt: instant('signed_at').notNull(),
  fields: jsonb('fields').notNull(), // the optional fields of the real forms
  complete: boolean('complete').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const payoutRuns = pgTable(
  'payout_runs',
  {
    id: text('id').primaryKey(),
    programId: text('program_id').notNull().references(() => programs.id),
    month: text('month').notNull(), // YYYY-MM
    status: text('status').notNull(), // draft | approved | sending | sent | needs_reconciliation
    currency: text('currency').notNull(),
    senderBatchId: text('sender_batch_id').notNull().unique(),
    paypalBatchId: text('paypal_batch_id'),
    withheld: jsonb('withheld').notNull(),
    lastError: text('last_error'),
    createdAt: instant('created_at').notNull(),
    approvedAt: instant('approved_at'),
    sendingAt: instant('sending_at'),
    sentAt: instant('sent_at'),
  },
  (t) => [uniqueIndex('payout_runs_program_month').on(t.programId, t.month)],
);

export const payoutItems = pgTable(
  'payout_items',
  {
    id: text('id').primaryKey(),
    runId: text('run_id').notNull().references(() => payoutRuns.id),
    programId: text('program_id').notNull(),
    affiliateId: text('affiliate_id').notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    receiver: text('receiver').notNull(),
    lines: jsonb('lines').notNull(), // [{commissionId, amountMinor}]
    status: text('status').notNull(), // pending | paid | failed
    paypalItemId: text('paypal_item_id'),
    failureReason: text('failure_reason'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('payout_items_run_affiliate').on(t.runId, t.affiliateId),
    // A new run leaves out the commissions of unfinished items (R8.4): it reads the pending items
    // only, not every item of every month paid so far (tens of thousands a month at 100k affiliates).
    index('payout_items_pending').on(t.programId).where(sql`status = 'pending'`),
  ],
);

/** Outgoing mail: written in the transaction that decides to send it, delivered after commit. */
export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: text('id').primaryKey(),
    to: text('to').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    template: text('template').notNull(),
    createdAt: instant('created_at').notNull(),
    sentAt: instant('sent_at'),
    error: text('error'),
  },
  (t) => [
    // Delivery's pass (deliverPending), after every write request and each minute: the mail not yet
    // sent, oldest first, without reading every mail ever sent.
    index('mail_outbox_unsent').on(t.createdAt, t.id).where(sql`sent_at is null`),
    // The mailbox (GET /api/v1/dev/mailbox, the console's Mail page): every mail newest first, or
    // one address's. The outbox keeps every mail ever queued.
    index('mail_outbox_created').on(t.createdAt, t.id),
    index('mail_outbox_to').on(t.to, t.createdAt, t.id),
  ],
);

// ---------------------------------------------------------------------------------------------
// Accounts for the portal and the console (R10).

export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    principalKind: text('principal_kind').notNull(), // affiliate | admin
    principalId: text('principal_id').notNull(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: instant('created_at').notNull(),
    expiresAt: instant('expires_at').notNull(),
  },
  (t) => [
    // A password change or reset signs out every session of its principal; the purge, the expired.
    index('sessions_principal').on(t.principalKind, t.principalId),
    index('sessions_expires').on(t.expiresAt),
  ],
);

/** R10.3: failed logins per login name; repeated failures slow down, then lock for a while. */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    login: text('login').primaryKey(),
    failures: integer('failures').notNull(),
    lockedUntil: instant('locked_until'),
    lastFailureAt: instant('last_failure_at').notNull(),
  },
  (t) => [
    // Housekeeping forgets old failures each hour (purgeExpired); a password spray leaves a row per
    // login name tried.
    index('login_attempts_last_failure').on(t.lastFailureAt),
  ],
);

/** R10.2: one-time, expiring password-reset tokens (stored hashed). */
export const passwordResets = pgTable(
  'password_resets',
  {
    tokenHash: text('token_hash').primaryKey(),
    affiliateId: text('affiliate_id').notNull().references(() => affiliates.id),
    expiresAt: instant('expires_at').notNull(),
    usedAt: instant('used_at'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    // The reset request's rate limit counts an affiliate's recent requests (public, no login).
    index('password_resets_affiliate').on(t.affiliateId, t.createdAt),
    // Housekeeping deletes the expired tokens each hour (purgeExpired).
    index('password_resets_expires').on(t.expiresAt),
  ],
);

/** R9.2: banners, email swipes and texts; `{{link}}` is replaced by the affiliate's link. */
export const marketingMaterials = pgTable('marketing_materials', {
  id: text('id').primaryKey(),
  programId: text('program_id').notNull().references(() => programs.id),
  kind: text('kind').notNull(), // banner | email | text
  title: text('title').notNull(),
  body: text('body').notNull(),
  imageUrl: text('image_url'),
  createdAt: instant('created_at').notNull(),
});
