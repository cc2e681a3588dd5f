-- Trading volume and price range per symbol, per minute of event time.
-- Run it with `make demo` (or `velo run examples/trades_per_minute.sql`).
SELECT symbol,
       COUNT(*)      AS trades,
       SUM(quantity) AS volume,
       AVG(price)    AS avg_price,
       MIN(price)    AS low,
       MAX(price)    AS high
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)
EMIT FINAL
WITH (
  'trades.type' = 'file_source',
  'trades.path' = 'examples/data/trades.jsonl',
  'trades.watermark.max_out_of_orderness' = '1s'
);
