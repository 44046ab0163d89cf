-- Lists whose cost grew with the program instead of with the page (an audit of every query of
-- src/ against the indexes; bench/dashboard.ts times the admin's lists on 100k affiliates and 2M
-- commissions): a program's commissions and applications newest first, the console's affiliates,
-- customers and self-referral flags, an affiliate's links (the stats page), the unsent mail that
-- delivery looks for after every write request, the year's payout entries (1099-NEC), and the
-- sessions and reset tokens of one person. Pages after the first now start at their cursor too:
-- the cursor is one row comparison (src/store/keyset.ts), which these indexes bound.
CREATE INDEX "affiliates_created" ON "affiliates" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "applications_program_created" ON "applications" USING btree ("program_id","created_at","id");--> statement-breakpoint
CREATE INDEX "commissions_program_earned" ON "commissions" USING btree ("program_id","earned_at","id");--> statement-breakpoint
CREATE INDEX "commissions_rejected" ON "commissions" USING btree ("program_id","earned_at") WHERE status = 'rejected';--> statement-breakpoint
CREATE INDEX "ledger_entries_payouts" ON "ledger_entries" USING btree ("program_id","at") WHERE type = 'payout';--> statement-breakpoint
CREATE INDEX "links_affiliate" ON "links" USING btree ("program_id","affiliate_id","created_at");--> statement-breakpoint
CREATE INDEX "mail_outbox_unsent" ON "mail_outbox" USING btree ("created_at","id") WHERE sent_at is null;--> statement-breakpoint
CREATE INDEX "password_resets_affiliate" ON "password_resets" USING btree ("affiliate_id","created_at");--> statement-breakpoint
CREATE INDEX "sessions_principal" ON "sessions" USING btree ("principal_kind","principal_id");--> statement-breakpoint
CREATE INDEX "sessions_expires" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "subscriptions_first_event" ON "subscriptions" USING btree ("program_id","first_event_at");