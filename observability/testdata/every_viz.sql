-- One metric per panel kind, on a query without windows.
CREATE STREAM orders (region STRING, store STRING, latitude DOUBLE, longitude DOUBLE, amount DOUBLE, items BIGINT)
WITH ('orders.type' = 'file_source', 'orders.path' = 'orders.jsonl');

-- @metric: orders
-- @metric_labels: region
-- @viz: bar
-- @alert: rate(orders) > 50
-- @metric: order_amount
-- @metric_field: amount
-- @metric_labels: region, store
-- @viz: table
-- @metric: last_amount
-- @metric_type: gauge
-- @metric_field: amount
-- @viz: line
-- @metric: items
-- @metric_type: gauge
-- @metric_field: items
-- @metric_labels: region
-- @viz: heatmap
-- @metric: amount_by_place
-- @metric_field: amount
-- @metric_labels: latitude, longitude
-- @viz: geo
-- @metric: big_orders
-- @metric_condition: amount > 1000
-- @viz: gauge
-- @metric: basket
-- @metric_type: histogram
-- @metric_field: items
-- @metric_buckets: linear(1, 1, 5)
-- @viz: line
-- @alert: increase(big_orders, 1h) > 10 OR last_amount > 5000
SELECT region, store, latitude, longitude, amount, items FROM orders;
