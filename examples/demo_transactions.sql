-- Spend and risk per region every 30 seconds over the demo's transactions
-- topic, updated as they arrive:
--   velo demo --sql examples/demo_transactions.sql
SELECT region,
       COUNT(*)                  AS txns,
       SUM(amount)               AS spend,
       MAX(amount)               AS largest,
       ROUND(AVG(fraud_score), 3) AS avg_fraud_score,
       COUNT(DISTINCT customer_id) AS customers
FROM transactions
GROUP BY region
WINDOW TUMBLING(ts, INTERVAL '30' SECOND)
EMIT CHANGES
WITH (
  'transactions.type' = 'kafka_source',
  'transactions.topic' = 'transactions',
  'transactions.bootstrap.servers' = '127.0.0.1:9092',
  'transactions.group.id' = 'velo-demo-transactions',
  'transactions.watermark.max_out_of_orderness' = '1s'
);
