-- Volume per customer and minute. Its spec asserts that every trade's
-- customer exists in the customers dimension (join_coverage):
--   velo test examples/test/customer_volume.sql
-- passes, because trades.schema.yaml draws customer_id from customers;
--   velo test examples/test/customer_volume.sql --spec examples/test/customer_volume_unlinked.test.yaml
-- fails, and the analysis shows why: CUST001-style keys against C-100-style keys.
SELECT customer_id, SUM(quantity) AS volume, COUNT(*) AS trades
FROM trades
GROUP BY customer_id
WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)
WITH ('trades.watermark.max_out_of_orderness' = '2s')
