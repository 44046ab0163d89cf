-- An affiliate's balance (balanceOf, R7.1) splits their ledger entries into reserve and due by
-- their commission's due instant, and counts only entries of the affiliate's own commissions. It
-- joined every entry of the affiliate with their commissions: for the biggest seller of the bench
-- (42k entries, 41k commissions) a hash join of both that took 18 ms warm and 70 ms in the
-- dashboard bench, over its 50 ms target (docs/scaling.md).
--
-- Each entry now repeats what the balance read of its commission, and the database holds it to
-- it: one foreign key from (commission_id, program_id, affiliate_id, due_at) to the commission's
-- same four columns. An entry filed under another program or affiliate than its commission's, or
-- with another due instant, is refused; the store never wrote one, and now none can exist. The
-- key replaces the foreign key on commission_id alone, which it implies. Commissions are
-- append-only (their due instant is never updated), so the copy cannot go stale.
--
-- Written by hand from drizzle-kit's output: the unique key first, then the column filled from the
-- commissions before it is required. A database holding an entry that breaks the key stops here
-- with PostgreSQL's own message, and the migration's transaction changes nothing.
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_ledger_key" UNIQUE("id","program_id","affiliate_id","due_at");--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "due_at" timestamp with time zone;--> statement-breakpoint
UPDATE "ledger_entries" e SET "due_at" = c."due_at" FROM "commissions" c WHERE c."id" = e."commission_id";--> statement-breakpoint
ALTER TABLE "ledger_entries" ALTER COLUMN "due_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_commission_key" FOREIGN KEY ("commission_id","program_id","affiliate_id","due_at") REFERENCES "public"."commissions"("id","program_id","affiliate_id","due_at") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" DROP CONSTRAINT "ledger_entries_commission_id_commissions_id_fk";--> statement-breakpoint
DROP INDEX "ledger_entries_affiliate";--> statement-breakpoint
CREATE INDEX "ledger_entries_affiliate" ON "ledger_entries" USING btree ("program_id","affiliate_id","at","due_at","type","amount");
