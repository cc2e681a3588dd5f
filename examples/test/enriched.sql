-- The product brief's JOIN: trades enriched with their customer's tier.
--   velo test examples/test/enriched.sql
-- passes (trades draw customer_id from customers); with
--   --spec examples/test/enriched_unlinked.test.yaml
-- the join matches nothing and the analysis shows the two key formats.
CREATE TABLE customers WITH ('key.field' = 'customer_id');
-- @assert: join_coverage >= 80%
-- @assert: no_nulls tier
SELECT t.customer_id, c.tier, SUM(t.quantity) AS volume
FROM trades t
JOIN customers c ON t.customer_id = c.customer_id
GROUP BY t.customer_id, c.tier
WINDOW TUMBLING(t.ts, INTERVAL '1' MINUTE)
WITH ('trades.watermark.max_out_of_orderness' = '2s')
