-- A windowed join of two streams: an order and a shipment match when their
-- event times are at most five minutes apart, in either order (order 4 was
-- shipped 30 s before it was recorded). Order 2's shipment came after six
-- minutes, and order 1's second one after nine: no match.
SELECT o.id, o.ts AS order_ts, s.ts AS ship_ts
FROM orders o JOIN shipments s ON o.id = s.order_id WITHIN INTERVAL '5' MINUTE
WITH ('orders.event.time.field' = 'ts', 'shipments.event.time.field' = 'ts')
