-- Trading volume per symbol, per five minutes of event time: the product
-- brief's "SQL that tests itself". Run it on synthetic data with
--   velo test examples/test/trades.sql --records 10000
-- (the schema comes from trades.test.yaml next to this file).
-- @assert: record_count > 0
-- @assert: no_nulls symbol, volume
-- @assert: execution_time < 1000ms
SELECT symbol, SUM(quantity) AS volume
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '5' MINUTE)
EMIT FINAL
WITH (
  'trades.type' = 'kafka_source',
  'trades.topic' = 'trades',
  'trades.bootstrap.servers' = '127.0.0.1:9092',
  'trades.watermark.max_out_of_orderness' = '2s'
);
