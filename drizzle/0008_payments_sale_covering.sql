-- A seller's tier totals (tierTotalsSql: the tier card, and the facts of every payment that may
-- credit them) read every sale of their 12-month window by this index, then each sale's row from
-- the heap for its id, customer and amount: a big seller's tens of thousands of sales cost a heap
-- page each. With those three columns in the index the read is an index-only scan (on a table of
-- 1.7M payments, 19k in the window: 60-100 ms -> 3-6 ms). The index grows with the included
-- columns (15 -> 125 MB there). drizzle-kit cannot express INCLUDE, so schema.ts keeps the key
-- columns and says so; this file is written by hand (drizzle-kit generate --custom).
-- Building it locks writes to payments for as long as it takes (seconds for millions of rows).
DROP INDEX IF EXISTS "payments_sale_affiliate";--> statement-breakpoint
CREATE INDEX "payments_sale_affiliate" ON "payments" USING btree ("program_id","sale_affiliate_id","paid_at") INCLUDE ("external_id","customer_id","amount");
