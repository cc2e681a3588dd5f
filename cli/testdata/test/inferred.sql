-- No schema and no assertions: velo test infers the schema from the query
-- and runs the default assertions.
SELECT symbol, SUM(quantity) AS volume, AVG(price) AS avg_price
FROM trades
WHERE side = 'BUY' AND price > 100
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)
