-- A seller's tier totals (tierTotalsSql: the facts of every payment that may credit them, and the
-- tier card) net each sale of their window of its refunds. They found those
-- refunds by joining the window's sales with the program's refunds. For a seller with many sales
-- PostgreSQL hashed every refund of the program (92-150 ms for a seller with 30k sales in a program
-- with 204k refunds), and the generic plan of the prepared statement took 23 s a payment for that
-- seller (docs/scaling.md, "A big seller in a big program"). Each refund now carries its
-- sale's affiliate, and the seller's refunds are an index-only range of their own.
--
-- The database keeps the column, so no writer can forget it: a refund takes its payment's
-- sale_affiliate_id when it is inserted, and a payment whose sale moves to another affiliate (or
-- to none: a reassignment, R3.2) moves its refunds with it, in the same statement. Written by hand
-- below the generated column (drizzle-kit models no triggers, nor INCLUDE); schema.ts says so.
ALTER TABLE "refunds" ADD COLUMN "sale_affiliate_id" text;--> statement-breakpoint
CREATE FUNCTION "refund_sale_affiliate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW."sale_affiliate_id" := (SELECT p."sale_affiliate_id" FROM "payments" p WHERE p."program_id" = NEW."program_id" AND p."external_id" = NEW."payment_id");
	RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "refunds_sale_affiliate" BEFORE INSERT ON "refunds" FOR EACH ROW EXECUTE FUNCTION "refund_sale_affiliate"();--> statement-breakpoint
CREATE FUNCTION "move_refunds_with_sale"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE "refunds" SET "sale_affiliate_id" = NEW."sale_affiliate_id"
	WHERE "program_id" = NEW."program_id" AND "payment_id" = NEW."external_id";
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "payments_sale_moves_refunds" AFTER UPDATE OF "sale_affiliate_id" ON "payments" FOR EACH ROW
	WHEN (OLD."sale_affiliate_id" IS DISTINCT FROM NEW."sale_affiliate_id") EXECUTE FUNCTION "move_refunds_with_sale"();--> statement-breakpoint
-- The refunds recorded before this migration (CREATE TRIGGER locks out concurrent writes until it commits).
UPDATE "refunds" r SET "sale_affiliate_id" = p."sale_affiliate_id" FROM "payments" p
WHERE p."program_id" = r."program_id" AND p."external_id" = r."payment_id" AND p."sale_affiliate_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "refunds_sale_affiliate" ON "refunds" USING btree ("program_id","sale_affiliate_id","at") INCLUDE ("payment_id","amount");
