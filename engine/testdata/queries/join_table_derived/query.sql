-- A table defined by a query: its GROUP BY key is the table's key, and
-- each customer's latest totals are what the join sees. Its input is
-- bounded, so it is complete before the first order is looked up.
CREATE TABLE spend AS
  SELECT customer_id, SUM(amount) AS total, COUNT(*) AS n
  FROM payments GROUP BY customer_id;
SELECT o.order_id, o.customer_id, s.total, s.n
FROM orders o LEFT JOIN spend s ON o.customer_id = s.customer_id
