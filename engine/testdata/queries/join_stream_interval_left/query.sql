-- An interval join: a payment matches an order paid within the hour after
-- it. The time condition makes ts the event time of both streams. Order 2
-- (00:30) was paid at 01:40, too late: it is emitted with a NULL payment
-- once the watermark passes 01:30, when order 3 (02:00) arrives and the
-- payments have reached 01:40. Order 3 matches two payments. Order 4 has
-- none: it is emitted at the end of the input.
SELECT o.id, o.amount, p.paid
FROM orders o LEFT JOIN payments p
  ON o.id = p.order_id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '1' HOUR
