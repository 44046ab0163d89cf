CREATE TABLE "link_click_counts" (
	"program_id" text NOT NULL,
	"affiliate_id" text NOT NULL,
	"link_id" text NOT NULL,
	"clicks" bigint NOT NULL,
	CONSTRAINT "link_click_counts_program_id_affiliate_id_link_id_pk" PRIMARY KEY("program_id","affiliate_id","link_id")
);
--> statement-breakpoint
DROP INDEX "commissions_affiliate";--> statement-breakpoint
DROP INDEX "ledger_entries_affiliate";--> statement-breakpoint
CREATE INDEX "applications_affiliate" ON "applications" USING btree ("affiliate_id","program_id","created_at");--> statement-breakpoint
CREATE INDEX "payments_sale_link" ON "payments" USING btree ("program_id","sale_affiliate_id","link_id") WHERE link_id is not null;--> statement-breakpoint
CREATE INDEX "commissions_affiliate" ON "commissions" USING btree ("program_id","affiliate_id","earned_at","id","due_at");--> statement-breakpoint
CREATE INDEX "ledger_entries_affiliate" ON "ledger_entries" USING btree ("program_id","affiliate_id","at","commission_id","type","amount");--> statement-breakpoint
-- link_click_counts is kept by the database, in the statement that inserts the clicks (the
-- redirect's group commit or any other writer), so it never misses a committed click nor counts a
-- rolled-back one. Rows are upserted in key order, so two concurrent batches lock the links they
-- share in the same order and never deadlock. Written by hand below the generated part (drizzle-kit
-- models no triggers); schema.ts describes the table.
CREATE FUNCTION "count_link_clicks"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "link_click_counts" ("program_id", "affiliate_id", "link_id", "clicks")
	SELECT "program_id", "affiliate_id", "link_id", count(*)
	FROM "new_clicks" WHERE NOT "is_bot"
	GROUP BY 1, 2, 3
	ORDER BY 1, 2, 3
	ON CONFLICT ("program_id", "affiliate_id", "link_id") DO UPDATE SET "clicks" = "link_click_counts"."clicks" + excluded."clicks";
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "clicks_count_by_link" AFTER INSERT ON "clicks" REFERENCING NEW TABLE AS "new_clicks" FOR EACH STATEMENT EXECUTE FUNCTION "count_link_clicks"();--> statement-breakpoint
-- The clicks recorded before this migration (CREATE TRIGGER locks out concurrent inserts until it commits).
INSERT INTO "link_click_counts" ("program_id", "affiliate_id", "link_id", "clicks")
SELECT "program_id", "affiliate_id", "link_id", count(*)
FROM "clicks" WHERE NOT "is_bot"
GROUP BY 1, 2, 3;
