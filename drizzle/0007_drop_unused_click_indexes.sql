DROP INDEX "clicks_link";--> statement-breakpoint
DROP INDEX "clicks_affiliate_link";