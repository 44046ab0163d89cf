// The database schema: one set of tables for PGlite and PostgreSQL (PostgreSQL-15-compatible).
// Money columns are bigint minor units; rates are integer basis points; instants are timestamptz.
// Ledger tables (commissions, ledger_entries) are append-only: rows are inserted, never updated
// or deleted (style §5, R4.3, R7.2). Every mutable table carries the server's `created_at`.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
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
export const affiliates = pgTable('affiliates', {
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
});

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
