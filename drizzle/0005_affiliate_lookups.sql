CREATE INDEX "affiliates_recruited_by" ON "affiliates" USING btree ("recruited_by");--> statement-breakpoint
CREATE INDEX "affiliates_customer_id" ON "affiliates" USING btree ("customer_id");