-- The query `velo demo` runs (it embeds this file). Against a
-- standalone broker (`velo broker`, or a Kafka cluster: change
-- bootstrap.servers) with a trades topic, run it with
--   velo run examples/demo_trades.sql
-- Per-symbol trading volume and price range per 10-second window of event
-- time, updated with every trade (EMIT CHANGES).
SELECT symbol,
       COUNT(*)             AS trades,
       SUM(quantity)        AS volume,
       ROUND(AVG(price), 2) AS avg_price,
       MIN(price)           AS low,
       MAX(price)           AS high
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '10' SECOND)
EMIT CHANGES
WITH (
  'trades.type' = 'kafka_source',
  'trades.topic' = 'trades',
  'trades.bootstrap.servers' = '127.0.0.1:9092',
  'trades.group.id' = 'velo-demo',
  'trades.watermark.max_out_of_orderness' = '1s'
);
