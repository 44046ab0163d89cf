CREATE TABLE "admins" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "admins_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "affiliates" (
	"id" text PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"username_lower" text NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text,
	"security_question" text,
	"security_answer_hash" text,
	"recruited_by" text,
	"customer_id" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "affiliates_username_lower_unique" UNIQUE("username_lower"),
	CONSTRAINT "affiliates_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"role" text DEFAULT 'admin' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_keys_secret_hash_unique" UNIQUE("secret_hash")
);
--> statement-breakpoint
CREATE TABLE "applications" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"affiliate_id" text NOT NULL,
	"status" text NOT NULL,
	"terms_version" text NOT NULL,
	"terms_accepted_at" timestamp with time zone NOT NULL,
	"website" text,
	"social_links" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"answer" text,
	"reason" text,
	"decided_at" timestamp with time zone,
	"dismissed_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clicks" (
	"id" text PRIMARY KEY NOT NULL,
	"link_id" text NOT NULL,
	"program_id" text NOT NULL,
	"affiliate_id" text NOT NULL,
	"clicked_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"is_bot" boolean NOT NULL,
	"credited" boolean NOT NULL,
	"ip_hash" text,
	"user_agent" text,
	"referrer" text
);
--> statement-breakpoint
CREATE TABLE "commissions" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"affiliate_id" text NOT NULL,
	"kind" text NOT NULL,
	"payment_id" text NOT NULL,
	"subscription_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"rate_bps" integer NOT NULL,
	"tier_key" text,
	"earned_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"source_commission_id" text,
	"basis" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"program_id" text NOT NULL,
	"external_id" text NOT NULL,
	"type" text NOT NULL,
	"body_hash" text NOT NULL,
	"body" jsonb NOT NULL,
	"response" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "events_program_id_external_id_pk" PRIMARY KEY("program_id","external_id")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"state" text NOT NULL,
	"status_code" integer,
	"response_body" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_principal_key_pk" PRIMARY KEY("principal","key")
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"commission_id" text NOT NULL,
	"affiliate_id" text NOT NULL,
	"type" text NOT NULL,
	"amount" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"ref" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "links" (
	"id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"program_id" text NOT NULL,
	"affiliate_id" text NOT NULL,
	"kind" text NOT NULL,
	"name" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "links_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "login_attempts" (
	"login" text PRIMARY KEY NOT NULL,
	"failures" integer NOT NULL,
	"locked_until" timestamp with time zone,
	"last_failure_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mail_outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"to" text NOT NULL,
	"subject" text NOT NULL,
	"text" text NOT NULL,
	"template" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "marketing_materials" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"image_url" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "password_resets" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"affiliate_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"program_id" text NOT NULL,
	"external_id" text NOT NULL,
	"subscription_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"customer_email" text,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"full_price" boolean NOT NULL,
	"fingerprint" text,
	"account_owned_by_affiliate_id" text,
	"paid_at" timestamp with time zone NOT NULL,
	"sale_affiliate_id" text,
	"payer_affiliate_id" text,
	"link_id" text,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payments_program_id_external_id_pk" PRIMARY KEY("program_id","external_id")
);
--> statement-breakpoint
CREATE TABLE "payout_accounts" (
	"affiliate_id" text PRIMARY KEY NOT NULL,
	"paypal_email" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payout_items" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"program_id" text NOT NULL,
	"affiliate_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"receiver" text NOT NULL,
	"lines" jsonb NOT NULL,
	"status" text NOT NULL,
	"paypal_item_id" text,
	"failure_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payout_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"month" text NOT NULL,
	"status" text NOT NULL,
	"currency" text NOT NULL,
	"sender_batch_id" text NOT NULL,
	"paypal_batch_id" text,
	"withheld" jsonb NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"approved_at" timestamp with time zone,
	"sending_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	CONSTRAINT "payout_runs_sender_batch_id_unique" UNIQUE("sender_batch_id")
);
--> statement-breakpoint
CREATE TABLE "programs" (
	"id" text PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"currency" text NOT NULL,
	"landing_url" text NOT NULL,
	"cookie_days" integer NOT NULL,
	"hold_days" integer NOT NULL,
	"refund_days" integer NOT NULL,
	"jv_rate_bps" integer NOT NULL,
	"plan_name" text NOT NULL,
	"plan" jsonb NOT NULL,
	"terms_version" text DEFAULT 'v1' NOT NULL,
	"terms_text" text DEFAULT '' NOT NULL,
	"test_clock_id" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "programs_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"principal_kind" text NOT NULL,
	"principal_id" text NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"program_id" text NOT NULL,
	"external_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"customer_email" text,
	"interval" text NOT NULL,
	"first_event_at" timestamp with time zone NOT NULL,
	"canceled_at" timestamp with time zone,
	"binding" jsonb,
	"bound_affiliate_id" text,
	"first_full_payment_id" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "subscriptions_program_id_external_id_pk" PRIMARY KEY("program_id","external_id")
);
--> statement-breakpoint
CREATE TABLE "tax_forms" (
	"affiliate_id" text PRIMARY KEY NOT NULL,
	"form" text NOT NULL,
	"legal_name" text NOT NULL,
	"country" text NOT NULL,
	"tin_ciphertext" text,
	"tin_last4" text,
	"address" jsonb NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"fields" jsonb NOT NULL,
	"complete" boolean NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "test_clocks" (
	"id" text PRIMARY KEY NOT NULL,
	"frozen_time" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_affiliate_id_affiliates_id_fk" FOREIGN KEY ("affiliate_id") REFERENCES "public"."affiliates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_commission_id_commissions_id_fk" FOREIGN KEY ("commission_id") REFERENCES "public"."commissions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "links" ADD CONSTRAINT "links_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "links" ADD CONSTRAINT "links_affiliate_id_affiliates_id_fk" FOREIGN KEY ("affiliate_id") REFERENCES "public"."affiliates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "marketing_materials" ADD CONSTRAINT "marketing_materials_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "password_resets" ADD CONSTRAINT "password_resets_affiliate_id_affiliates_id_fk" FOREIGN KEY ("affiliate_id") REFERENCES "public"."affiliates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_accounts" ADD CONSTRAINT "payout_accounts_affiliate_id_affiliates_id_fk" FOREIGN KEY ("affiliate_id") REFERENCES "public"."affiliates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_items" ADD CONSTRAINT "payout_items_run_id_payout_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."payout_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_runs" ADD CONSTRAINT "payout_runs_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "programs" ADD CONSTRAINT "programs_test_clock_id_test_clocks_id_fk" FOREIGN KEY ("test_clock_id") REFERENCES "public"."test_clocks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tax_forms" ADD CONSTRAINT "tax_forms_affiliate_id_affiliates_id_fk" FOREIGN KEY ("affiliate_id") REFERENCES "public"."affiliates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "applications_one_open_per_program" ON "applications" USING btree ("program_id","affiliate_id") WHERE status in ('pending', 'approved', 'dismissed');--> statement-breakpoint
CREATE INDEX "applications_program_status" ON "applications" USING btree ("program_id","status","created_at");--> statement-breakpoint
CREATE INDEX "clicks_affiliate_time" ON "clicks" USING btree ("affiliate_id","program_id","clicked_at");--> statement-breakpoint
CREATE INDEX "clicks_link" ON "clicks" USING btree ("link_id");--> statement-breakpoint
CREATE INDEX "commissions_affiliate" ON "commissions" USING btree ("program_id","affiliate_id","earned_at");--> statement-breakpoint
CREATE INDEX "commissions_payment" ON "commissions" USING btree ("program_id","payment_id");--> statement-breakpoint
CREATE INDEX "commissions_due" ON "commissions" USING btree ("program_id","due_at");--> statement-breakpoint
CREATE INDEX "ledger_entries_commission" ON "ledger_entries" USING btree ("commission_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_affiliate" ON "ledger_entries" USING btree ("program_id","affiliate_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "links_one_main_and_jv" ON "links" USING btree ("program_id","affiliate_id","kind") WHERE kind in ('main', 'jv');--> statement-breakpoint
CREATE UNIQUE INDEX "links_tracking_name" ON "links" USING btree ("program_id","affiliate_id",lower("name")) WHERE kind = 'tracking';--> statement-breakpoint
CREATE INDEX "payments_sale_affiliate" ON "payments" USING btree ("program_id","sale_affiliate_id","paid_at");--> statement-breakpoint
CREATE INDEX "payments_payer" ON "payments" USING btree ("program_id","payer_affiliate_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payout_items_run_affiliate" ON "payout_items" USING btree ("run_id","affiliate_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payout_runs_program_month" ON "payout_runs" USING btree ("program_id","month");--> statement-breakpoint
CREATE INDEX "refunds_payment" ON "refunds" USING btree ("program_id","payment_id");--> statement-breakpoint
CREATE INDEX "subscriptions_customer" ON "subscriptions" USING btree ("program_id","customer_id");