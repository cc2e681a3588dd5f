-- The product brief's JOIN: trades enriched with their customer's tier.
-- Needs JOIN support in the engine (issue 3).
--   velo test examples/test/enriched.sql
-- @assert: join_coverage >= 80%
-- @assert: no_nulls tier
SELECT t.customer_id, c.tier, SUM(t.quantity) AS volume
FROM trades t
JOIN customers c ON t.customer_id = c.customer_id
GROUP BY t.customer_id, c.tier
WINDOW TUMBLING(t.ts, INTERVAL '1' MINUTE)
