-- EMIT FINAL is the default for a windowed query: one row per window and
-- symbol when the watermark passes the window's end; the last window closes
-- at the end of the input.
SELECT symbol, COUNT(*) AS trades, SUM(quantity) AS volume,
       MIN(price) AS low, MAX(price) AS high, AVG(price) AS avg_price
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)
