-- Volume, prices and trade sizes per symbol over 5-minute windows, with
-- the alerts a trading desk wants.
CREATE STREAM trades (symbol STRING, price DOUBLE, quantity BIGINT, ts TIMESTAMP)
WITH ('trades.type' = 'file_source', 'trades.path' = 'examples/data/trades.jsonl');

-- @metric: trade_volume
-- @metric_type: counter
-- @metric_help: Shares traded
-- @metric_labels: symbol
-- @metric_field: volume
-- @alert: volume > 1000000
-- @alert_name: HighTradeVolume
-- @alert_for: 5m
-- @alert_severity: critical
-- @alert_summary: {{ $labels.symbol }} traded {{ $value | humanize }} shares in 5 minutes
-- @metric: avg_price
-- @metric_type: gauge
-- @metric_field: avg_price
-- @metric_labels: symbol
-- @viz: stat
-- @viz_title: Average price
-- @alert: avg_price < 1
-- @metric: trade_size
-- @metric_type: histogram
-- @metric_field: max_size
-- @metric_buckets: 10, 100, 1000, 10000
-- @alert: quantile(0.99, trade_size, 10m) > 5000
-- @alert_severity: info
SELECT symbol,
       SUM(quantity) AS volume,
       AVG(price)    AS avg_price,
       MAX(quantity) AS max_size
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '5' MINUTE)
EMIT FINAL;
