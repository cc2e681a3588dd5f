-- A join before a windowed aggregation, on a key expression: each trade is
-- enriched with its customer's tier (the inner join drops c4, who has no
-- customer row), then counted per tier in one-minute windows of the trade's
-- event time.
CREATE TABLE customers WITH ('key.field' = 'id');
SELECT c.tier, COUNT(*) AS trades, SUM(t.qty) AS qty
FROM trades t JOIN customers c ON UPPER(t.cust) = c.id
GROUP BY c.tier
WINDOW TUMBLING(t.ts, INTERVAL '1' MINUTE)
