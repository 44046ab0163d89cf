-- R3.2: a reassignment reads the payments of each subscription it moves. No index led there, so
-- it read every payment of the program: 62 ms a subscription in a program of a million payments
-- (bench/big-seller.ts), growing with the program. CREATE INDEX (not CONCURRENTLY: migrations run
-- in a transaction) holds off writes to payments while it builds.
CREATE INDEX "payments_subscription" ON "payments" USING btree ("program_id","subscription_id");