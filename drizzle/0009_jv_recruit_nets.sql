CREATE TABLE "recruit_jv_nets" (
	"program_id" text NOT NULL,
	"recruiter_id" text NOT NULL,
	"recruit_id" text NOT NULL,
	"net" bigint NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "recruit_jv_nets_program_id_recruiter_id_recruit_id_pk" PRIMARY KEY("program_id","recruiter_id","recruit_id")
);
--> statement-breakpoint
-- recruit_jv_nets is kept by the database, in the statement that appends ledger entries (event
-- ingestion's one statement of writes, a reassignment's reversals, or any other writer), so it never
-- misses a committed entry nor counts a rolled-back one. An entry counts when it is an earn or a
-- reverse of a JV commission with a recruit, filed under that commission's program and affiliate:
-- what recruitsOf summed from the ledger (R6.3). Rows are upserted in key order, so two concurrent
-- statements lock the rows they share in the same order and never deadlock. Written by hand below
-- the generated part (drizzle-kit models no triggers); schema.ts describes the table.
CREATE FUNCTION "net_jv_by_recruit"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "recruit_jv_nets" ("program_id", "recruiter_id", "recruit_id", "net", "last_at")
	SELECT c."program_id", c."affiliate_id", c."basis"->>'recruitAffiliateId', sum(e."amount"), max(e."at")
	FROM "new_entries" e JOIN "commissions" c ON c."id" = e."commission_id"
	WHERE e."type" IN ('earn', 'reverse') AND c."kind" = 'jv' AND c."basis"->>'recruitAffiliateId' IS NOT NULL
		AND e."program_id" = c."program_id" AND e."affiliate_id" = c."affiliate_id"
	GROUP BY 1, 2, 3
	ORDER BY 1, 2, 3
	ON CONFLICT ("program_id", "recruiter_id", "recruit_id") DO UPDATE
		SET "net" = "recruit_jv_nets"."net" + excluded."net", "last_at" = greatest("recruit_jv_nets"."last_at", excluded."last_at");
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "ledger_entries_net_jv" AFTER INSERT ON "ledger_entries" REFERENCING NEW TABLE AS "new_entries" FOR EACH STATEMENT EXECUTE FUNCTION "net_jv_by_recruit"();--> statement-breakpoint
-- The entries recorded before this migration (CREATE TRIGGER locks out concurrent inserts until it commits).
INSERT INTO "recruit_jv_nets" ("program_id", "recruiter_id", "recruit_id", "net", "last_at")
SELECT c."program_id", c."affiliate_id", c."basis"->>'recruitAffiliateId', sum(e."amount"), max(e."at")
FROM "ledger_entries" e JOIN "commissions" c ON c."id" = e."commission_id"
WHERE e."type" IN ('earn', 'reverse') AND c."kind" = 'jv' AND c."basis"->>'recruitAffiliateId' IS NOT NULL
	AND e."program_id" = c."program_id" AND e."affiliate_id" = c."affiliate_id"
GROUP BY 1, 2, 3;
