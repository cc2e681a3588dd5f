-- Hourly counts of orders and of those paid within the hour. A matched row
-- carries the later of its two times (the payment's); an unpaid order
-- carries its own. Order 2 (00:40) is known unpaid only when the watermark
-- passes 01:40, after the first hour's window would have closed: the join
-- holds the watermark it passes on back to its oldest unmatched order, so
-- the window waits for it and counts it.
SELECT COUNT(*) AS n, COUNT(p.paid) AS paid
FROM orders o LEFT JOIN payments p
  ON o.id = p.order_id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '1' HOUR
WINDOW TUMBLING(INTERVAL '1' HOUR)
