-- Reads that had no index to run from, found by test/e2e/index-use.test.ts (every statement of the
-- main paths EXPLAINed with sequential scans off): the hourly housekeeping's deletes of old failed
-- logins and expired reset tokens, and the mailbox's lists, newest first, of every mail or one
-- address's (only unsent mail was indexed). None of these tables is written by clicks or events.
CREATE INDEX "login_attempts_last_failure" ON "login_attempts" USING btree ("last_failure_at");--> statement-breakpoint
CREATE INDEX "mail_outbox_created" ON "mail_outbox" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "mail_outbox_to" ON "mail_outbox" USING btree ("to","created_at","id");--> statement-breakpoint
CREATE INDEX "password_resets_expires" ON "password_resets" USING btree ("expires_at");